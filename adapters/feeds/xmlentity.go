package feeds

import (
	"encoding/xml"
	"html"
	"maps"
	"regexp"
	"strings"
)

// A feed may declare its own entities in its DOCTYPE
// (<!ENTITY company "ACME Corp">), and a browser showing it expands them.
// So does Herald, for entities whose value is text: not one that refers
// to another entity of the document (a chain of such references is how
// "billion laughs" documents explode), holds markup, or lives outside
// the document (SYSTEM, PUBLIC, parameter entities: never fetched, never
// expanded; the reference stays as it is written).

// Bounds on the entities of one document.
const (
	maxEntities     = 64
	maxEntityLength = 1024
)

// refersToOwnEntity reports whether an entity's value refers to an
// entity that is neither predefined nor HTML's.
func refersToOwnEntity(value string) bool {
	for _, m := range entityRefRE.FindAllStringSubmatch(value, -1) {
		switch name := m[1]; name {
		case "amp", "lt", "gt", "quot", "apos":
		default:
			if _, ok := xml.HTMLEntity[name]; !ok {
				return true
			}
		}
	}
	return false
}

var entityRefRE = regexp.MustCompile(`&([A-Za-z_][A-Za-z0-9_.-]*);`)

// entityDeclRE finds a general entity with a literal value.
var entityDeclRE = regexp.MustCompile(`<!ENTITY\s+([A-Za-z_][A-Za-z0-9_.-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>`)

// declareEntities adds the text entities a DOCTYPE declares to those the
// decoder expands.
func (r *xmlReader) declareEntities(d xml.Directive) {
	if len(r.entities) >= len(xml.HTMLEntity)+maxEntities || !strings.HasPrefix(strings.ToUpper(string(d[:min(len(d), 7)])), "DOCTYPE") {
		return
	}
	for _, m := range entityDeclRE.FindAllSubmatch(d, maxEntities) {
		name, value := string(m[1]), string(m[2])+string(m[3])
		if len(value) > maxEntityLength {
			continue
		}
		if strings.Contains(value, "<") || refersToOwnEntity(value) {
			continue
		}
		value = html.UnescapeString(value)
		if r.entities == nil {
			r.entities = maps.Clone(xml.HTMLEntity)
		}
		if _, known := r.entities[name]; !known && len(r.entities) < len(xml.HTMLEntity)+maxEntities {
			r.entities[name] = value
		}
	}
	if r.entities != nil {
		r.dec.Entity = r.entities
	}
}
