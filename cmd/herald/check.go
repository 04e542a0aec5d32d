package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/herald-news/herald/storage"
)

// runCheck is herald check [--repair [--out FILE]] [DB]: bbolt's
// consistency check, and a repair that copies what can still be read into
// a new file. It exits 0 when the file is sound (or was repaired), 1 when
// it is damaged or the repair failed, 2 on bad usage.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	repair := fs.Bool("repair", false, "write every record that can still be read into a new file (the original is left as it is)")
	out := fs.String("out", "", "the repaired file (default: DB.repaired)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: herald check [--repair [--out FILE]] [DB]   (DB defaults to HERALD_DB, ./herald.db)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	if path == "" {
		cfg, err := loadConfig(nil, os.Getenv)
		if err != nil {
			fmt.Fprintln(stderr, "herald:", err)
			return 2
		}
		path = cfg.DB
	}
	if *repair {
		return repairDB(path, *out, stdout, stderr)
	}
	r, err := storage.Check(path)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
	if r.Pages > 0 {
		fmt.Fprintf(stdout, "%s: %d bytes, %d pages of %d bytes in use.\n", path, r.Size, r.Pages, r.PageSize)
	} else {
		fmt.Fprintf(stdout, "%s: %d bytes.\n", path, r.Size)
	}
	printRecords(stdout, r.Records)
	for _, n := range r.Notes {
		fmt.Fprintln(stdout, "Note:", n)
	}
	if r.OK() {
		fmt.Fprintln(stdout, "No damage found.")
		return 0
	}
	fmt.Fprintf(stdout, "Damage found (%d):\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, "  -", p)
	}
	fmt.Fprintf(stdout, "Run `herald check --repair %s` to save what can still be read into a new file, or restore a backup.\n", path)
	return 1
}

func printRecords(w io.Writer, records map[string]int) {
	if len(records) == 0 {
		return
	}
	names := make([]string, 0, len(records))
	for n := range records {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprint(w, "Readable entries by bucket:")
	for _, n := range names {
		fmt.Fprintf(w, " %s %d", n, records[n])
	}
	fmt.Fprintln(w)
}

func repairDB(path, out string, stdout, stderr io.Writer) int {
	if out == "" {
		out = path + ".repaired"
	}
	r, err := storage.Repair(path, out)
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		if errors.Is(err, storage.ErrInUse) {
			fmt.Fprintln(stderr, "herald: stop herald first; a backup (herald backup FILE) can be checked while it runs.")
		}
		return 1
	}
	fmt.Fprintf(stdout, "Saved what could be read of %s into %s (%s is left as it was):\n", path, out, path)
	fmt.Fprintf(stdout, "  %-26s %8s %8s\n", "", "saved", "lost")
	for _, c := range r.Counts {
		fmt.Fprintf(stdout, "  %-26s %8d %8d\n", c.Kind, c.Saved, c.Lost)
	}
	if len(r.Unreadable) > 0 {
		fmt.Fprintf(stdout, "Unreadable pages (%d); records on them that nothing else names are lost without being counted:\n", len(r.Unreadable))
		for _, u := range r.Unreadable {
			fmt.Fprintln(stdout, "  -", u)
		}
	}
	fmt.Fprintf(stdout, "To use it, stop herald and put it in place of the damaged file:\n  mv %s %s.damaged && mv %s %s\n", path, path, out, path)
	return 0
}
