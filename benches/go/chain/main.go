// chain: each goroutine starts the next, 1M deep; the last one reports.
package main

import "fmt"

func link(i, n int, done chan<- int) {
	if i == n {
		done <- i
		return
	}
	go link(i+1, n, done)
}

func main() {
	const n = 1000000
	done := make(chan int)
	go link(1, n, done)
	fmt.Println("chain", <-done)
}
