// Package console is a local Herald user on the terminal: the same
// commands and alerts as a chat platform, with no network. It powers
// `herald demo` and `herald console`.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// ChatID is the console user's chat: one person, so a DM.
const ChatID = "local"

// Target is the console user's target.
var Target = alerts.Target{ID: alerts.NewTargetID(alerts.PlatformConsole, ChatID), Kind: alerts.KindDM, Title: "console"}

// Sender prints alerts as the console user sees them. Safe for concurrent
// use.
type Sender struct {
	mu   sync.Mutex
	w    io.Writer
	seq  int
	sent []bot.Message
}

var _ bot.Sender = (*Sender)(nil)

// NewSender prints to w.
func NewSender(w io.Writer) *Sender { return &Sender{w: w} }

// Platform is alerts.PlatformConsole.
func (s *Sender) Platform() alerts.Platform { return alerts.PlatformConsole }

// Send prints a message and returns its number.
func (s *Sender) Send(_ context.Context, t alerts.Target, m bot.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.sent = append(s.sent, m)
	fmt.Fprint(s.w, format(t, m, s.seq))
	return strconv.Itoa(s.seq), nil
}

// Edit prints the new version of an earlier message.
func (s *Sender) Edit(_ context.Context, t alerts.Target, id string, m bot.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	n, _ := strconv.Atoi(id)
	fmt.Fprint(s.w, format(t, m, n))
	return nil
}

// header is the line above a message: its number, and what it is (n 0
// is a preview).
func header(m bot.Message, n int) string {
	switch {
	case n == 0:
		return "\n── preview ───────────────────────────────────\n"
	case m.Edit:
		return fmt.Sprintf("\n── alert #%d updated ─────────────────────────\n", n)
	case m.Kind == alerts.DeliverDigest:
		return fmt.Sprintf("\n── digest #%d: %d alerts ──────────────────────\n", n, len(m.Alerts))
	}
	return fmt.Sprintf("\n── alert #%d ─────────────────────────────────\n", n)
}

// format renders message number n as plain terminal text, as the chat t
// reads it: with its own template (/format) for a single alert, else in
// Herald's layout (formatAlerts). The layout's fixed words are English.
func format(t alerts.Target, m bot.Message, n int) string {
	tpl := t.Settings.Template()
	if tpl.IsZero() || m.Kind == alerts.DeliverDigest || len(m.Alerts) != 1 {
		return formatAlerts(m, n)
	}
	a := m.Alerts[0]
	values := alerts.TemplateValues(a)
	if when := a.Article.Published; !when.IsZero() {
		values[alerts.PlaceholderTime] = when.In(t.Settings.Location()).Format("2 Jan 15:04 MST")
	}
	var sb strings.Builder
	sb.WriteString(header(m, n))
	for _, seg := range tpl.Expand(values, 4000, func(s alerts.Segment) int { return len([]rune(s.Text)) }) {
		sb.WriteString(seg.Text)
	}
	sb.WriteString("\n")
	if len(a.Sources) > 1 {
		fmt.Fprintf(&sb, "also reported by: %s\n", strings.Join(a.Sources[1:], ", "))
	}
	sb.WriteString(buttonLine(m.Buttons))
	return sb.String()
}

func buttonLine(bs []bot.MessageButton) string {
	if len(bs) == 0 {
		return ""
	}
	labels := make([]string, 0, len(bs))
	for _, b := range bs {
		labels = append(labels, "["+b.Label+"]")
	}
	return strings.Join(labels, " ") + "\n"
}

// Sent returns every message printed so far.
func (s *Sender) Sent() []bot.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.Message(nil), s.sent...)
}

// formatAlerts renders a message in Herald's own layout.
func formatAlerts(m bot.Message, n int) string {
	var sb strings.Builder
	sb.WriteString(header(m, n))
	for i, a := range m.Alerts {
		if i > 0 {
			sb.WriteString("\n")
		}
		art := a.Article
		fmt.Fprintf(&sb, "%s\n", oneLine(art.Title))
		meta := []string{}
		if src := nonEmpty(art.Outlet, art.Source); src != "" {
			meta = append(meta, src)
		}
		if !art.Published.IsZero() {
			meta = append(meta, art.Published.UTC().Format("2006-01-02 15:04 UTC"))
		}
		if len(meta) > 0 {
			fmt.Fprintf(&sb, "%s\n", strings.Join(meta, " · "))
		}
		if art.URL != "" {
			fmt.Fprintf(&sb, "%s\n", art.URL)
		}
		if m.Kind != alerts.DeliverDigest && art.Summary != "" {
			fmt.Fprintf(&sb, "\n%s\n\n", oneLine(art.Summary))
		}
		var qs []string
		for _, mt := range a.Matches {
			terms := make([]string, 0, len(mt.Terms))
			for _, t := range mt.Terms {
				terms = append(terms, t.Term)
			}
			q := fmt.Sprintf("#%d %s", mt.Sub, mt.Query)
			if len(terms) > 0 {
				q += " [" + strings.Join(terms, ", ") + "]"
			}
			qs = append(qs, q)
		}
		if len(qs) > 0 {
			fmt.Fprintf(&sb, "matched: %s\n", strings.Join(qs, "; "))
		}
		if len(a.Sources) > 1 {
			fmt.Fprintf(&sb, "also reported by: %s\n", strings.Join(a.Sources[1:], ", "))
		}
	}
	sb.WriteString(buttonLine(m.Buttons))
	return sb.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Command is a line the console's user typed. That user is the operator
// of this Herald at its own terminal, managing their own DMs.
func Command(text string) bot.Command {
	return bot.Command{Target: Target, UserID: ChatID, UserName: "you", CanManage: true, Operator: true, Text: text}
}

// Ingester takes the files named by ":ingest FILE" and returns a report
// line once the alerts they raised were printed.
type Ingester func(ctx context.Context, path string) (string, error)

// REPL reads commands from in and prints replies to out until EOF, ":quit"
// or ctx ends. Lines starting with "/" are commands; ":ingest FILE" reads
// articles from a file; ":help" lists the console's own commands.
func REPL(ctx context.Context, in io.Reader, out io.Writer, h bot.Handler, ingest Ingester) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), 1<<20)
	lines := make(chan string)
	go func() {
		defer close(lines)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	prompt := func() { fmt.Fprint(out, "herald> ") }
	prompt()
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
			if !ok {
				fmt.Fprintln(out)
				return sc.Err()
			}
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case line == ":quit" || line == ":q":
			return nil
		case line == ":help":
			fmt.Fprintln(out, "/help for Herald's commands; :ingest FILE to read articles (scraped text, HTML or a feed); :quit to leave.")
		case strings.HasPrefix(line, ":ingest"):
			path := strings.TrimSpace(strings.TrimPrefix(line, ":ingest"))
			if path == "" {
				fmt.Fprintln(out, "Write :ingest FILE")
				break
			}
			msg, err := ingest(ctx, path)
			if err != nil {
				fmt.Fprintln(out, "error:", err)
			} else {
				fmt.Fprintln(out, msg)
			}
		case strings.HasPrefix(line, "/"):
			c := Command(line)
			if path, ok := strings.CutPrefix(line, "/import "); ok {
				// The console attaches a local file by its path.
				data, err := os.ReadFile(strings.TrimSpace(path))
				if err != nil {
					fmt.Fprintln(out, "error:", err)
					break
				}
				c.Text, c.File = "/import", &bot.File{Name: filepath.Base(path), Data: data}
			}
			r := h.HandleCommand(ctx, c)
			fmt.Fprintln(out, r.Text)
			if f := r.File; f != nil {
				fmt.Fprintf(out, "── %s ──\n%s", f.Name, f.Data)
			}
			if p := r.Preview; p != nil {
				fmt.Fprint(out, format(p.Target, p.Message, 0))
			}
		default:
			fmt.Fprintln(out, "Commands start with / (try /help); :ingest FILE reads articles.")
		}
		prompt()
	}
}
