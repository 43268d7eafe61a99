// chain: each goroutine starts the next, 1M deep; the last one reports.
package main

import (
	"fmt"

	"goro.bench/form"
)

func link(i, n int, done chan<- int) {
	if i == n {
		done <- i
		return
	}
	go link(i+1, n, done)
}

func run() string {
	const n = 1000000
	done := make(chan int)
	go link(1, n, done)
	return fmt.Sprint("chain ", <-done)
}

func main() { form.Main(run) }
