package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/herald-news/herald/storage"
)

// runBackup writes a hot copy of HERALD_DB to FILE. When a running herald
// holds the database, the copy comes from its HTTP server instead, found
// through the address it writes beside the database, or HERALD_HTTP_ADDR.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "replace FILE if it exists")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: herald backup [--force] FILE   (copies HERALD_DB, default ./herald.db)")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || fs.Arg(0) == "" {
		fs.Usage()
		return 2
	}
	dst := fs.Arg(0)
	cfg, err := loadConfig(nil, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	}
	src, err := os.Stat(cfg.DB)
	if err != nil {
		fmt.Fprintf(stderr, "herald: no database to back up at HERALD_DB=%s: %v\n", cfg.DB, err)
		return 1
	}
	if st, err := os.Stat(dst); err == nil {
		if os.SameFile(src, st) {
			fmt.Fprintf(stderr, "herald: %s is the database itself\n", dst)
			return 2
		}
		if !*force {
			fmt.Fprintf(stderr, "herald: %s exists; give another name, or --force to replace it\n", dst)
			return 1
		}
	}
	db, err := storage.Open(cfg.DB, storage.Options{LockTimeout: 300 * time.Millisecond})
	if err == nil {
		defer db.Close()
		n, err := db.BackupFile(dst)
		if err != nil {
			fmt.Fprintln(stderr, "herald:", err)
			return 1
		}
		fmt.Fprintf(stdout, "Backed up %s to %s (%d bytes).\n", cfg.DB, dst, n)
		return 0
	}
	if !errors.Is(err, storage.ErrInUse) {
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
	// A running herald holds the file: ask it for a consistent copy, with
	// the admin token it wrote beside the database.
	token, err := readAdminToken(cfg.DB)
	if err != nil {
		fmt.Fprintf(stderr, "herald: %s is in use, and the running herald's admin token is unreadable: %v\n", cfg.DB, err)
		return 1
	}
	var tried []string
	for _, addr := range backupAddrs(cfg) {
		n, err := fetchBackup(ctx, localURL(addr, "/v1/backup"), token, dst)
		if err == nil {
			fmt.Fprintf(stdout, "Backed up %s from the running herald at %s to %s (%d bytes).\n", cfg.DB, addr, dst, n)
			return 0
		}
		tried = append(tried, fmt.Sprintf("%s: %v", addr, err))
	}
	fmt.Fprintf(stderr, "herald: %s is in use, and no running herald served a backup (%s)\n", cfg.DB, strings.Join(tried, "; "))
	return 1
}

// backupAddrs are where the herald holding the database may listen: the
// address it wrote beside the database, then HERALD_HTTP_ADDR.
func backupAddrs(cfg config) []string {
	var out []string
	for _, a := range []string{readAddrFile(cfg.DB), cfg.HTTPAddr} {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func fetchBackup(ctx context.Context, url, token, dst string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("HTTP %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Check the copy opens before it replaces anything.
		var db *storage.DB
		if db, err = storage.Open(tmp, storage.Options{}); err == nil {
			db.Close()
			err = os.Rename(tmp, dst)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return n, nil
}
