// SPDX-License-Identifier: MIT

// gowork: a Go program for the profiler's Go test. Go keeps frame pointers and writes
// .debug_frame, not .eh_frame. It spends a fixed amount of work (not of time) in
// main.goLeaf, called from main.goMiddle, called from main.goWork, called from main.main.
//
// Usage: gowork [ROUNDS]   (default 300; one round is about 10 ms of CPU)
package main

import (
	"fmt"
	"os"
	"strconv"
)

var sink uint64

//go:noinline
func goLeaf(n int) uint64 {
	x := sink
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:noinline
func goMiddle(n int) uint64 { return goLeaf(n) + 1 }

//go:noinline
func goWork(rounds int) {
	for i := 0; i < rounds; i++ {
		sink += goMiddle(10000000)
	}
}

func main() {
	rounds := 300
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "usage: gowork [ROUNDS]")
			os.Exit(2)
		}
		rounds = n
	}
	goWork(rounds)
	fmt.Println("truth rounds", rounds)
}
