// SPDX-License-Identifier: MIT
// Known-answer JIT workload: burns N seconds of its own CPU (default 10) in hotJsFunction.
// CPU time, not wall time: on a loaded machine it lives longer and still runs hot for N s.
// Run with `node --perf-basic-prof hot.js N` so V8 writes /tmp/perf-PID.map and the JIT frame
// can be named. It prints the process CPU time it used; nearly all of it is hotJsFunction.
// The loop lives inside hotJsFunction itself (one long call, optimized on stack),
// so V8 has no small callee to inline and the frame keeps its name.
'use strict';

function cpuSeconds() {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1e6;
}

function hotJsFunction(seconds) {
	const deadline = cpuSeconds() + seconds;
	let x = 1;
	let spins = 0;
	while (cpuSeconds() < deadline) {
		for (let i = 0; i < 100000; i++) {
			x = (x * 1103515245 + 12345) % 2147483648;
		}
		spins++;
	}
	return x + spins;
}

const seconds = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 10;
const t0 = process.cpuUsage();
const result = hotJsFunction(seconds);
const used = process.cpuUsage(t0);
console.log(`result ${result} cpu_ms ${((used.user + used.system) / 1000).toFixed(1)}`);
