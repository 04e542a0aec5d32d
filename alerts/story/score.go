package story

import (
	"time"

	"github.com/herald-news/herald/alerts"
)

// Similarity scores two articles as Assign does, in [0, 1]; they are one
// story at Options.Threshold and above. For tests and diagnostics.
func (c *Clusterer) Similarity(a, b *alerts.Article) float64 {
	now := c.opts.Now()
	fa, fb := extract(a, c.tagger), extract(b, c.tagger)
	fa.at, fb.at = articleTime(a, now), articleTime(b, now)
	return pairScore(fa, fb, c.opts.MinShared)
}

// pairScore combines the similarities of two articles' features; it is 0
// when they share fewer than minShared names and figures.
func pairScore(a, b features, minShared int) float64 {
	sharedNames := intersect(a.entities, b.entities)
	sharedFigs := intersect(a.figures, b.figures)
	cross := 0.0
	if a.lang != b.lang {
		cross = crossLangScore(a, b, sharedFigs)
	}
	if sharedNames+sharedFigs < minShared {
		return cross
	}
	words := jaccard(a.words, b.words)
	title := overlapCoef(a.title, b.title)
	ents := float64(sharedNames+sharedFigs) / float64(max(1, min(len(a.entities)+len(a.figures), len(b.entities)+len(b.figures))))
	// Jaccard of two reports of one event in different words rarely passes
	// 0.5; scale it so that 0.5 counts fully.
	score := 0.45*min(1, words/0.5) + 0.25*title + 0.3*ents
	// Reports of one event repeat its figures (a magnitude, a toll, a
	// vote share); a follow-up brings new ones. Both giving figures and
	// sharing none is strong evidence of two events.
	if len(a.figures) >= 2 && len(b.figures) >= 2 && sharedFigs == 0 {
		score *= figurePenalty
	}
	score *= timeDecay(a.at.Sub(b.at))
	return max(score, cross)
}

// crossLangScore judges two reports in different languages, whose words
// cannot be compared, on what does not depend on the language: figures
// ("67 ракет і 194 дрони", "67 ракет и 194 беспилотника"), the actors,
// places and topics of the names list, and the days they name. Within a
// few hours of each other, they are one story (0.5) when
//
//   - they share two figures, half of the smaller article's; or
//   - they share a figure, half of the smaller article's, and two concepts; or
//   - neither gives figures, and they share four concepts, 60 % of the
//     smaller article's, and a day ("on Friday", "в пятницу");
//
// and never when both give figures or days and share none of them.
func crossLangScore(a, b features, sharedFigs int) float64 {
	if a.at.Sub(b.at).Abs() > decayFrom {
		return 0
	}
	if len(a.figures) >= 2 && len(b.figures) >= 2 && sharedFigs == 0 {
		return 0
	}
	sharedDays := intersect(a.dates, b.dates)
	if len(a.dates) > 0 && len(b.dates) > 0 && sharedDays == 0 {
		return 0
	}
	sharedConcepts := intersect(a.concepts, b.concepts)
	halfFigs := 2*sharedFigs >= min(len(a.figures), len(b.figures))
	switch {
	case sharedFigs >= 2 && halfFigs,
		sharedFigs >= 1 && halfFigs && sharedConcepts >= 2,
		len(a.figures)+len(b.figures) == 0 && sharedConcepts >= 4 &&
			10*sharedConcepts >= 6*min(len(a.concepts), len(b.concepts)) && sharedDays >= 1:
		return 0.5
	}
	return 0
}

// figurePenalty scales the score of two articles that both cite figures
// but none in common.
const figurePenalty = 0.6

// Outlets report one event within hours; a report a day later on the same
// actors is most often a follow-up with news of its own. Joining it to the
// old story would hide that news from subscribers, while keeping a late
// report of the same event apart costs one more alert: so the score
// decays from full at decayFrom to decayFloor at decayTo.
const (
	decayFrom  = 6 * time.Hour
	decayTo    = 36 * time.Hour
	decayFloor = 0.5
)

func timeDecay(d time.Duration) float64 {
	d = d.Abs()
	switch {
	case d <= decayFrom:
		return 1
	case d >= decayTo:
		return decayFloor
	}
	return 1 - (1-decayFloor)*float64(d-decayFrom)/float64(decayTo-decayFrom)
}

// intersect counts the elements two sets share.
func intersect(a, b set) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

func jaccard(a, b set) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	in := intersect(a, b)
	return float64(in) / float64(len(a)+len(b)-in)
}

// overlapCoef is |a∩b| / min(|a|,|b|): short titles that say the same are
// alike even when one says more.
func overlapCoef(a, b set) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	return float64(intersect(a, b)) / float64(min(len(a), len(b)))
}
