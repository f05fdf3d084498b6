// Command loadtool holds the small steps of scripts/bench-load that bash
// does badly:
//
//	loadtool freeport                  print a free TCP port on 127.0.0.1
//	loadtool wait -url U [-timeout D]  wait until GET U answers 200
//	loadtool feed -url U -tokens FILE [-c N] [-skip K] [-limit L]
//	                                   send GET U once with each token of FILE
//	                                   (from the K+1st, at most L of them)
//	                                   as a bearer token, N at a time, and
//	                                   print a JSON summary (requests/s,
//	                                   statuses)
//	loadtool quiet [-idle F] [-max D]  wait until the machine's CPUs are at
//	                                   least F idle over a second (at most D)
//	loadtool stat -pid P               print the peak and current resident
//	                                   memory (kB) and the CPU time (clock
//	                                   ticks) of process P as JSON
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "freeport":
		err = freeport()
	case "wait":
		err = wait(args)
	case "feed":
		err = feed(args)
	case "stat":
		err = stat(args)
	case "quiet":
		err = quiet(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtool %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: loadtool freeport | wait -url U | feed -url U -tokens FILE [-c N] [-skip K] [-limit L] | quiet [-idle F] [-max D] | stat -pid P")
	os.Exit(2)
}

func freeport() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	return nil
}

func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	url := fs.String("url", "", "URL that must answer 200")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait")
	fs.Parse(args)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(*timeout)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := client.Get(*url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within %s (last: %s)", *url, *timeout, last)
}

func feed(args []string) error {
	fs := flag.NewFlagSet("feed", flag.ExitOnError)
	url := fs.String("url", "", "URL to GET")
	file := fs.String("tokens", "", "file of tokens, one per line")
	conc := fs.Int("c", 32, "requests in flight")
	skip := fs.Int("skip", 0, "tokens to skip at the start of the file")
	limit := fs.Int("limit", 0, "tokens to send at most; 0: all")
	fs.Parse(args)
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	var tokens []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			tokens = append(tokens, t)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	tokens = tokens[min(*skip, len(tokens)):]
	if *limit > 0 && *limit < len(tokens) {
		tokens = tokens[:*limit]
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc},
	}
	var (
		mu       sync.Mutex
		statuses = map[string]int{}
		next     = make(chan string)
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tok := range next {
				status := "error"
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, *url, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = strconv.Itoa(resp.StatusCode)
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	for _, t := range tokens {
		next <- t
	}
	close(next)
	wg.Wait()
	secs := time.Since(start).Seconds()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"requests": len(tokens), "seconds": secs, "rps": float64(len(tokens)) / secs, "statuses": statuses,
	})
}

// stat reads /proc/<pid>/status (VmHWM, VmRSS) and /proc/<pid>/stat
// (utime + stime of all the process's threads).
func stat(args []string) error {
	fs := flag.NewFlagSet("stat", flag.ExitOnError)
	pid := fs.Int("pid", 0, "process id")
	fs.Parse(args)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		return err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(status), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || (name != "VmHWM" && name != "VmRSS") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) > 0 {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			out[strings.ToLower(name)+"_kb"] = v
		}
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", *pid))
	if err != nil {
		return err
	}
	// The command name may hold spaces; fields count from after its ')'.
	s := string(st)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) > 13 {
		u, _ := strconv.ParseInt(f[11], 10, 64) // field 14: utime
		k, _ := strconv.ParseInt(f[12], 10, 64) // field 15: stime
		out["cpu_ticks"] = u + k
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// quiet waits until the CPUs are mostly idle, so that a measurement does
// not start while another job of a shared machine is running. It prints the
// idle fraction it saw and never fails: after -max it lets the caller go on.
func quiet(args []string) error {
	fs := flag.NewFlagSet("quiet", flag.ExitOnError)
	idle := fs.Float64("idle", 0.85, "idle fraction wanted")
	maxWait := fs.Duration("max", 2*time.Minute, "longest wait")
	fs.Parse(args)
	deadline := time.Now().Add(*maxWait)
	start := time.Now()
	for {
		a, err := cpuTimes()
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		b, err := cpuTimes()
		if err != nil {
			return err
		}
		frac := (b[0] - a[0]) / math.Max(1, b[1]-a[1])
		if frac >= *idle || time.Now().After(deadline) {
			fmt.Printf("idle %.0f%% after %s\n", 100*frac, time.Since(start).Round(time.Second))
			return nil
		}
	}
}

// cpuTimes returns the idle (idle + iowait) and total jiffies of all CPUs.
func cpuTimes() ([2]float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return [2]float64{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var idle, total float64
	for i, v := range f[1:] {
		x, _ := strconv.ParseFloat(v, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal
			total += x
		}
		if i == 3 || i == 4 {
			idle += x
		}
	}
	return [2]float64{idle, total}, nil
}
