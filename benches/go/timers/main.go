// Timer accuracy and cost in Go, the lines benches/timers.rs prints for
// goro and Tokio: 500 sleeps of 1 ms, ticks in a second from a 1 ms
// ticker, a one-hour timer made and stopped 1,000,000 times, and resident
// memory per armed timer with 1,000,000 held at once.
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sleeps = 500
	timers = 1_000_000
)

func rss() int {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.Atoi(f[1])
	return pages * 4096
}

func main() {
	took := make([]time.Duration, 0, sleeps)
	for i := 0; i < sleeps; i++ {
		start := time.Now()
		time.Sleep(time.Millisecond)
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(a, b int) bool { return took[a] < took[b] })
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	fmt.Printf("sleep_1ms_median_us %.0f\n", us(took[len(took)/2]))
	fmt.Printf("sleep_1ms_p90_us %.0f\n", us(took[len(took)*9/10]))

	ticker := time.NewTicker(time.Millisecond)
	end := time.After(time.Second)
	ticks := 0
loop:
	for {
		select {
		case <-ticker.C:
			ticks++
		case <-end:
			break loop
		}
	}
	ticker.Stop()
	fmt.Printf("tick_1ms_per_s %d\n", ticks)

	start := time.Now()
	for i := 0; i < timers; i++ {
		t := time.NewTimer(time.Hour)
		t.Stop()
	}
	fmt.Printf("timer_create_stop_ns %.0f\n", float64(time.Since(start))/timers)

	before := rss()
	armed := make([]*time.Timer, 0, timers)
	for i := 0; i < timers; i++ {
		armed = append(armed, time.NewTimer(time.Hour))
	}
	fmt.Printf("armed_timer_bytes %d\n", (rss()-before)/timers)
	if len(armed) != timers {
		panic("lost timers")
	}
}
