// pipeline: GORO_BENCH_CLIENTS clients (default 1000), all started at
// once, each sending 50 request lines, one at a time, to a
// goroutine-per-connection server over loopback, which answers each with
// 1 KiB derived from the line; the clients check every byte.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"goro.bench/form"
)

const requests, size = 50, 1024

// clients is GORO_BENCH_CLIENTS, or 1000 if it is unset or empty.
func clients() int {
	s := os.Getenv("GORO_BENCH_CLIENTS")
	if s == "" {
		return 1000
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		panic(fmt.Sprintf("GORO_BENCH_CLIENTS=%q: %v", s, err))
	}
	return int(n)
}

// fill fills response with the answer to the request line request (its
// '\n' included): byte j is (the sum of the request's bytes + j) % 251.
func fill(response, request []byte) {
	sum := 0
	for _, b := range request {
		sum += int(b)
	}
	for j := range response {
		response[j] = byte((sum + j) % 251)
	}
}

// answer answers each request line until the client closes the connection.
func answer(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	response := make([]byte, size)
	for {
		line, err := r.ReadSlice('\n')
		if err == io.EOF && len(line) == 0 {
			return
		}
		if err != nil {
			panic(err)
		}
		fill(response, line)
		if _, err := conn.Write(response); err != nil {
			panic(err)
		}
	}
}

func serve(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			panic(err)
		}
		go answer(conn)
	}
}

// client sends the requests of client c and returns the bytes verified.
func client(addr string, c int) int64 {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		panic(fmt.Sprintf("pipeline: client %d: %v", c, err))
	}
	defer conn.Close()
	want := make([]byte, size)
	got := make([]byte, size)
	for i := 0; i < requests; i++ {
		request := fmt.Sprintf("GET %d %d\n", c, i)
		if _, err := io.WriteString(conn, request); err != nil {
			panic(fmt.Sprintf("pipeline: client %d: %v", c, err))
		}
		if _, err := io.ReadFull(conn, got); err != nil {
			panic(fmt.Sprintf("pipeline: client %d: %v", c, err))
		}
		fill(want, []byte(request))
		if !bytes.Equal(got, want) {
			panic(fmt.Sprintf("pipeline: client %d, request %d: the response differs", c, i))
		}
	}
	return requests * size
}

func run() string {
	n := clients()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go serve(ln)
	addr := ln.Addr().String()
	var wg sync.WaitGroup
	var verified int64
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			atomic.AddInt64(&verified, client(addr, c))
		}(c)
	}
	wg.Wait()
	ln.Close()
	return fmt.Sprint("pipeline ", n, " ", verified)
}

func main() { form.Main(run) }
