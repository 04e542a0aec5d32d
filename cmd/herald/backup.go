package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/herald-news/herald/storage"
)

// runBackup writes a hot copy of HERALD_DB to FILE. When a running herald
// holds the database, the copy comes from its HTTP server instead.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(stderr, "usage: herald backup FILE   (copies HERALD_DB, default ./herald.db)")
		return 2
	}
	dst := args[0]
	cfg, err := loadConfig(nil, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		fmt.Fprintf(stderr, "herald: no database to back up at HERALD_DB=%s: %v\n", cfg.DB, err)
		return 1
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
	n, err := fetchBackup(ctx, localURL(cfg.HTTPAddr, "/v1/backup"), token, dst)
	if err != nil {
		fmt.Fprintf(stderr, "herald: %s is in use and the running herald at %s did not serve a backup: %v\n", cfg.DB, cfg.HTTPAddr, err)
		return 1
	}
	fmt.Fprintf(stdout, "Backed up %s from the running herald to %s (%d bytes).\n", cfg.DB, dst, n)
	return 0
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
		return 0, fmt.Errorf("HTTP %s", resp.Status)
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
