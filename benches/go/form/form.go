// Package form runs a workload's body in one of the two forms
// benches/compare.sh measures: in main, as Go programs are usually written
// (no argument, or `main`), or in a goroutine that main waits for (the
// argument `goroutine`). Each program's body is a function returning its
// result line; its main is `form.Main(run)`.
package form

import (
	"fmt"
	"os"
)

// Run calls run in main, or in a goroutine main waits for, as the
// program's argument says, and returns its result line.
func Run(run func() string) string {
	switch {
	case len(os.Args) == 1, len(os.Args) == 2 && os.Args[1] == "main":
		return run()
	case len(os.Args) == 2 && os.Args[1] == "goroutine":
		line := make(chan string)
		go func() { line <- run() }()
		return <-line
	}
	fmt.Fprintf(os.Stderr, "usage: %s [main|goroutine]\n", os.Args[0])
	os.Exit(2)
	return ""
}

// Main prints the result line of run, called as Run says.
func Main(run func() string) {
	fmt.Println(Run(run))
}
