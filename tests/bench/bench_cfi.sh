#!/bin/bash
# The in-kernel walker (--unwind cfi, profd's default), in one run:
#  - BPF time per sample, fp against cfi at the same stack depth (kernel.bpf_stats_enabled,
#    put back as it was), on a workload with frame pointers so both walk every frame;
#  - 999 Hz whole-machine slowdown of a fixed CPU job built without frame pointers: profd's
#    default (and --unwind fp, to tell the walker's cost from the rest of profd's) against
#    perf record --call-graph dwarf and perf record -g (median of paired runs),
#    as wall time and as the machine's extra CPU per unit of work (the job's CPU plus the
#    profiler's own): on a shared machine the wall time swings with others' load, CPU time not;
#  - table build time and table bytes per MB of CFI, for libc and Debian's libLLVM;
#  - BPF map memory in use and table memory filled during the 999 Hz run.
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-5}
ROUNDS=${ROUNDS:-40000000}
DEPTH=${DEPTH:-40}
NOFP="-O2 -g -fomit-frame-pointer -momit-leaf-frame-pointer"
command -v perf >/dev/null || { echo "perf missing (make deps installs linux-perf)"; exit 1; }
clang $NOFP -o "$BT/cpuwork_nofp" "$TOP/tests/bench/cpuwork.c"
clang -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -o "$BT/recurse_fp" \
	"$TOP/tests/workloads/recurse.c"
make -s -C "$TOP" build/bench/bench_cfi_tables

# --- BPF time per sample --------------------------------------------------------------------------
stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
restore_stats() { echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled; }
trap 'restore_stats; rm -rf "$TMP"' EXIT
echo 1 >/proc/sys/kernel/bpf_stats_enabled
ncpu=$(nproc)
# runs_ns ERRFILE: "runs ns_per_run samples" from profd -v's lines.
runs_ns() {
	r=$(sed -n 's/.*the sampling program ran \([0-9]*\) times, \([0-9]*\) ns each.*/\1 \2/p' "$1")
	n=$(sed -n 's/^profd: \([0-9]*\) samples (.*/\1/p' "$1")
	echo "${r:-0 0} ${n:-0}"
}
# A run for another process (the program sees every process on the CPU) costs c0: measured
# on a target that never runs, and taken out of the figures below.
"$PROFD" -v -F 999 -d 5 -o "$TMP/idle.folded" -- sleep 5 2>"$TMP/idle.err" >/dev/null
set -- $(runs_ns "$TMP/idle.err")
c0=$2
echo "BPF time per sample: recurse $DEPTH (frame pointers), one per CPU, -F 999, 10 s, per mode;"
echo "a run for another process costs $c0 ns, taken out"
printf '%-5s %10s %10s %16s %14s\n' mode runs samples ns_per_sample user_frames
for mode in fp cfi; do
	# The workload: one process per CPU, so most runs of the program are samples of it.
	"$PROFD" -v --unwind $mode -F 999 -d 10 -o "$TMP/$mode.folded" -- sh -c \
		"for i in \$(seq $ncpu); do '$BT/recurse_fp' $DEPTH 10 >/dev/null & done; wait" \
		2>"$TMP/$mode.err" >/dev/null
	set -- $(runs_ns "$TMP/$mode.err")
	per=$(echo "($1 * $2 - ($1 - $3) * $c0) / $3" | bc -l | awk '{printf "%.0f", $1}')
	frames=$(python3 "$TOP/tests/e2e/folded.py" maxdepth "$TMP/$mode.folded" --comm recurse_fp)
	printf '%-5s %10s %10s %16s %14s\n' $mode "$1" "$3" "$per" "$frames"
	eval "ns_$mode=$per frames_$mode=$frames"
done
restore_stats
echo "ratio cfi/fp: time per sample $(echo "$ns_cfi / $ns_fp" | bc -l | cut -c1-5)" \
	"(frames per stack: cfi $frames_cfi, fp $frames_fp: cfi also walks libc's start)"

# --- slowdown at 999 Hz, whole machine ------------------------------------------------------------
WORKLOAD="$BT/cpuwork_nofp"
start_profiler() { # NAME: starts it in the background, sets PPID_RUN
	case "$1" in
	profd) "$PROFD" -v -a -F 999 -o "$TMP/p.folded" 2>"$TMP/p.err" & ;;
	profd-fp) "$PROFD" --unwind fp -a -F 999 -o "$TMP/fp.folded" 2>/dev/null & ;;
	perf-dwarf) perf record -F 999 -a --call-graph dwarf -o "$TMP/perf.data" >/dev/null 2>&1 & ;;
	perf-g) perf record -F 999 -a -g -o "$TMP/perf.data" >/dev/null 2>&1 & ;;
	esac
	PPID_RUN=$!
	settle
	[ "$1" = profd ] && map_memory "$PPID_RUN" >"$TMP/maps.txt"
	return 0
}
# map_memory PID: the kernel memory of its BPF maps (fdinfo memlock), and its largest maps.
map_memory() {
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^map_type:/ {m = 1} /^memlock:/ {b = $2} END {if (m) print b}' "$f" 2>/dev/null
	done | awk '{s += $1} END {printf "%.1f MiB in all BPF maps\n", s / 1048576}'
}
# cpu_of CMD...: "wall_s cpu_s" of a command and its children.
cpu_of() {
	/usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{print $1, $2 + $3}'
}

measure_cpu() { # NAME -> "name wall_slowdown% cpu_cost% profiler_cpu_per_s rss_mib", medians
	name=$1
	for i in $(seq "$PAIRS"); do
		set -- $(cpu_of "$WORKLOAD" "$ROUNDS")
		wo_wall=$1 wo_cpu=$2
		start_profiler "$name"
		c0=$(cpu_seconds "$PPID_RUN")
		set -- $(cpu_of "$WORKLOAD" "$ROUNDS")
		w_wall=$1 w_cpu=$2
		c1=$(cpu_seconds "$PPID_RUN")
		peak_rss_mib "$PPID_RUN" >>"$TMP/$name.rss"
		stop_profiler
		echo "($w_wall / $wo_wall - 1) * 100" | bc -l >>"$TMP/$name.wall"
		echo "(($w_cpu + $c1 - $c0) / $wo_cpu - 1) * 100" | bc -l >>"$TMP/$name.cost"
		echo "($c1 - $c0) / $w_wall" | bc -l >>"$TMP/$name.cpu"
	done
	printf '%s %.2f %.2f %.4f %s\n' "$name" "$(median <"$TMP/$name.wall")" \
		"$(median <"$TMP/$name.cost")" "$(median <"$TMP/$name.cpu")" "$(median <"$TMP/$name.rss")"
}

echo "workload: cpuwork $ROUNDS rounds built without frame pointers, one worker per CPU;"
echo "$PAIRS runs with and $PAIRS without each profiler at -F 999 on every CPU"
printf '%-10s %10s %12s %14s %12s\n' tool wall_slow% cpu_cost% cpu_s_per_s peak_rss_MiB
for t in profd profd-fp perf-dwarf perf-g; do
	r=$(measure_cpu $t)
	printf '%-10s %10s %12s %14s %12s\n' $r
	eval "wall_${t//-/_}=$(echo "$r" | awk '{print $2}') cost_${t//-/_}=$(echo "$r" | awk '{print $3}')"
done
echo "extra CPU per unit of work, points: profd $cost_profd (with --unwind fp: $cost_profd_fp)," \
	"perf --call-graph dwarf" \
	"$cost_perf_dwarf, perf -g $cost_perf_g; profd - perf -g = $(echo "$cost_profd - $cost_perf_g" |
	bc -l | awk '{printf "%.2f", $1}')"
echo "wall slowdown, points: profd $wall_profd, perf --call-graph dwarf $wall_perf_dwarf," \
	"perf -g $wall_perf_g (perf writes samples now and unwinds and names them at report time)"
echo "profd's BPF maps during the run: $(cat "$TMP/maps.txt")"
grep -o 'cfi: [0-9]* files known ([0-9]* without a table), [0-9]* tables in [0-9]* of [0-9]* KiB[^,]*' "$TMP/p.err" || true
grep -o 'user stacks walked in the kernel: [^;]*' "$TMP/p.err" | tail -n 1 || true

# --- tables: build time and size ------------------------------------------------------------------
llvm=$(ls /usr/lib/x86_64-linux-gnu/libLLVM-*.so.1 /usr/lib/llvm-*/lib/libLLVM-*.so.1 2>/dev/null |
	head -n 1)
echo "tables: CPU time to compile (best of 5), table bytes per MB of CFI"
"$BT/bench_cfi_tables" 5 /lib/x86_64-linux-gnu/libc.so.6 ${llvm:+"$llvm"} |
	awk '{printf "  %s: %.0f KiB of CFI -> %.0f KiB table (%d rows, %d rules) in %s ms, %s bytes per MB\n",
		$1, $3 / 1024, $9 / 1024, $5, $7, $11, $13}'
