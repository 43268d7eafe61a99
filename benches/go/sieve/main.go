// sieve: the first 3000 primes through a daisy chain of filter goroutines.
package main

import (
	"fmt"

	"goro.bench/form"
)

func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func run() string {
	const n = 3000
	ch := make(chan int)
	go generate(ch)
	last := 0
	for i := 0; i < n; i++ {
		prime := <-ch
		last = prime
		ch1 := make(chan int)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	return fmt.Sprint("sieve ", last)
}

func main() { form.Main(run) }
