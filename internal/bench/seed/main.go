// Command seed is the helper of scripts/bench. It never talks to anything
// but the loopback server it is pointed at.
//
// It has three modes:
//
//	seed -mode=seed -url URL -token TOKEN [-flows N] [-users N] [-concurrency C] [-prefix P]
//	    Creates N flows (slug P-flow-00000 ...) and N users (P-user-00000 ...)
//	    through the API with C concurrent keep-alive clients, and prints one
//	    line per kind: "flows n=10000 seconds=9.81 objects_per_s=1019".
//	    Any non-201 answer aborts with exit status 1.
//
//	seed -mode=wait -url URL [-timeout 30s]
//	    Polls URL/-/health/ready/ every millisecond until it answers 204.
//
//	seed -mode=startup -url URL [-rss-after 5s] [-timeout 30s] -- BIN [ARGS...]
//	    Starts BIN (inheriting the environment), polls URL/-/health/ready/
//	    every millisecond, and prints
//	    "wall_ms=123.4 startup_ms=98 rss_kb=43120": wall_ms is the time from
//	    just before the process was started until the first 204, startup_ms
//	    the "startup=" figure of the server's "ready to serve" log line (the
//	    server must log at info level), rss_kb the VmRSS of the process
//	    -rss-after after ready (omitted when -rss-after is 0). The server is
//	    then stopped with SIGTERM. Its stderr is copied to -log when given.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	mode := flag.String("mode", "seed", "seed, wait or startup")
	base := flag.String("url", "http://127.0.0.1:9000", "server base URL")
	token := flag.String("token", "", "API token (seed mode)")
	flows := flag.Int("flows", 10000, "flows to create (seed mode)")
	users := flag.Int("users", 10000, "users to create (seed mode)")
	conc := flag.Int("concurrency", 8, "concurrent clients (seed mode)")
	prefix := flag.String("prefix", "bench", "name prefix of seeded objects")
	timeout := flag.Duration("timeout", 60*time.Second, "how long to wait for ready")
	rssAfter := flag.Duration("rss-after", 0, "read VmRSS this long after ready (startup mode)")
	logPath := flag.String("log", "", "copy the server's stderr here (startup mode)")
	flag.Parse()

	var err error
	switch *mode {
	case "seed":
		err = seed(*base, *token, *prefix, *flows, *users, *conc)
	case "wait":
		_, err = waitReady(context.Background(), *base, *timeout)
	case "startup":
		err = startup(*base, flag.Args(), *timeout, *rssAfter, *logPath)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// seed creates the flows, then the users.
func seed(base, token, prefix string, flows, users, conc int) error {
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc},
	}
	kinds := []struct {
		name, path string
		n          int
		body       func(i int) any
	}{
		{"flows", "/api/v3/flows/instances/", flows, func(i int) any {
			return map[string]any{"name": fmt.Sprintf("%s flow %05d", prefix, i), "slug": fmt.Sprintf("%s-flow-%05d", prefix, i),
				"title": fmt.Sprintf("Flow %05d", i), "designation": "authentication"}
		}},
		{"users", "/api/v3/core/users/", users, func(i int) any {
			return map[string]any{"username": fmt.Sprintf("%s-user-%05d", prefix, i), "name": fmt.Sprintf("User %05d", i)}
		}},
	}
	for _, k := range kinds {
		if k.n <= 0 {
			continue
		}
		start := time.Now()
		if err := createAll(client, base+k.path, token, k.n, conc, k.body); err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		secs := time.Since(start).Seconds()
		fmt.Printf("%s n=%d seconds=%.2f objects_per_s=%.0f\n", k.name, k.n, secs, float64(k.n)/secs)
	}
	return nil
}

// createAll posts n bodies with conc workers; the first failure stops all.
func createAll(client *http.Client, url, token string, n, conc int, body func(int) any) error {
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := post(client, url, token, body(i)); err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func post(client *http.Client, url, token string, body any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s %s: status %d: %.300s", url, data, resp.StatusCode, out)
	}
	return nil
}

// waitReady polls the readiness probe every millisecond until it answers
// 204, and returns the moment it did.
func waitReady(ctx context.Context, base string, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/health/ready/", nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return time.Now(), nil
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%s not ready after %s (last error: %v)", base, timeout, err)
		case <-time.After(time.Millisecond):
		}
	}
}

var startupRE = regexp.MustCompile(`startup=(\S+)`)

// startup times one server start from process start to ready.
func startup(base string, argv []string, timeout, rssAfter time.Duration, logPath string) error {
	if len(argv) == 0 {
		return errors.New("startup mode needs the server command after --")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	var logw io.Writer = io.Discard
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		logw = f
	}
	startupCh := make(chan string, 1)
	scanDone := make(chan struct{})

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logw, line)
			if m := startupRE.FindStringSubmatch(line); m != nil && !sent && strings.Contains(line, "ready to serve") {
				startupCh <- m[1]
				sent = true
			}
		}
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { <-scanDone; _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	ready, err := waitReady(context.Background(), base, timeout)
	if err != nil {
		stop()
		return err
	}
	wall := ready.Sub(t0)
	startupMS := "NA"
	select {
	case s := <-startupCh:
		if d, err := time.ParseDuration(s); err == nil {
			startupMS = strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
		}
	case <-time.After(2 * time.Second):
	}
	line := fmt.Sprintf("wall_ms=%.1f startup_ms=%s", float64(wall)/float64(time.Millisecond), startupMS)
	if rssAfter > 0 {
		time.Sleep(rssAfter)
		kb, err := vmRSS(cmd.Process.Pid)
		if err != nil {
			stop()
			return err
		}
		line += fmt.Sprintf(" rss_kb=%d", kb)
	}
	stop()
	fmt.Println(line)
	return nil
}

// vmRSS reads the resident set size of pid in kB.
func vmRSS(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("no VmRSS line")
}
