package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/herald-news/herald"

// sharedAdapterPkgs are helpers any adapter may import: they import
// nothing of ours.
var sharedAdapterPkgs = map[string]bool{"adapters/loopback": true}

// TestImportDirection enforces the direction of imports: alerts
// imports nothing of ours and only text libraries; bot imports only alerts;
// the adapters import alerts and bot's small types, never each other;
// storage imports only alerts, in its tests too, so that it implements the
// bot's store roles without knowing the bot (cmd/herald's guards.go checks
// that it does); only cmd knows every package.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}:{{join .TestImports " "}} {{join .XTestImports " "}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowedThirdParty := map[string][]string{
		"alerts":   {"golang.org/x/text", "github.com/kljensen/snowball"},
		"bot":      {"github.com/cenkalti/backoff/v5", "golang.org/x/sync", "github.com/prometheus/client_golang", "github.com/nicksnyder/go-i18n", "golang.org/x/text"},
		"storage":  {"go.etcd.io/bbolt", "github.com/nats-io/", "github.com/klauspost/compress/zstd"},
		"adapters": nil, // adapters may use their platform and parsing libraries
	}
	ours := func(area string) []string {
		switch area {
		case "alerts":
			return []string{"alerts"}
		case "bot":
			return []string{"alerts", "bot"}
		case "storage":
			return []string{"alerts", "storage"}
		}
		return nil
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imps, _ := strings.Cut(line, ":")
		imps, testImps, _ := strings.Cut(imps, ":")
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		area, _, _ := strings.Cut(rel, "/")
		if area == "cmd" {
			continue
		}
		if area == "storage" {
			// A test that needs bot belongs in cmd/herald, not here: a
			// storage test importing bot would let the store's code lean
			// on it again.
			imps += " " + testImps
		}
		for _, imp := range strings.Fields(imps) {
			if strings.HasPrefix(imp, module+"/") {
				dep := strings.TrimPrefix(imp, module+"/")
				depArea, _, _ := strings.Cut(dep, "/")
				if area == "adapters" {
					// An adapter may import alerts, bot, its own subpackages
					// and the small helpers shared by adapters.
					own := strings.Join(strings.SplitN(rel, "/", 3)[:min(2, len(strings.SplitN(rel, "/", 3)))], "/")
					if depArea != "alerts" && dep != "bot" && !strings.HasPrefix(dep, own) && !sharedAdapterPkgs[dep] {
						t.Errorf("%s imports %s: adapters may import only alerts, bot and their own packages", rel, dep)
					}
					continue
				}
				ok := false
				for _, a := range ours(area) {
					if depArea == a {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s imports %s, against the direction of imports (see TestImportDirection)", rel, dep)
				}
				continue
			}
			if area == "adapters" || !strings.Contains(strings.Split(imp, "/")[0], ".") {
				continue // standard library, or an adapter's own libraries
			}
			allowed := false
			for _, p := range allowedThirdParty[area] {
				if strings.HasPrefix(imp, p) {
					allowed = true
				}
			}
			if !allowed {
				t.Errorf("%s imports %s: %s may use only %v besides the standard library", rel, imp, area, allowedThirdParty[area])
			}
		}
	}
}
