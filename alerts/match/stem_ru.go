package match

// The Russian Snowball stemmer, on a word of Cyrillic letters, written to
// allocate nothing (see stem_en.go). Its output is that of
// github.com/kljensen/snowball/russian.

func ruVowel(r rune) bool {
	switch r {
	case 'а', 'е', 'и', 'о', 'у', 'ы', 'э', 'ю', 'я':
		return true
	}
	return false
}

// russian stems a word; the result is valid until the next call.
func (s *stemmer) russian(word []byte) []byte {
	if !s.set(word) {
		return word
	}
	// Ukrainian shares most endings with Russian but spells some with
	// letters Russian lacks (санкції, виборів, землетрусі): read them as
	// their Russian counterparts, so that the endings are found.
	for i, r := range s.rs[:s.n] {
		switch r {
		case 'і', 'ї':
			s.rs[i] = 'и'
		case 'є':
			s.rs[i] = 'е'
		case 'ґ':
			s.rs[i] = 'г'
		}
	}
	if s.n <= 2 {
		return s.bytes()
	}
	s.r1 = s.vnv(0, ruVowel)
	s.r2 = s.vnv(s.r1, ruVowel)
	s.rv = s.n
	for i := 0; i < s.n; i++ {
		if ruVowel(s.rs[i]) {
			s.rv = i + 1
			break
		}
	}
	s.ruStep1()
	s.removeIn(s.rv, "и")
	s.removeIn(s.r2, "ост", "ость")
	s.ruStep4()
	return s.bytes()
}

// firstIn returns the first of the suffixes that the runes from start on
// end in, "" for none.
func (s *stemmer) firstIn(start int, suffixes ...string) string {
	for _, suf := range suffixes {
		if runes(suf) <= s.n-start && s.hasSuffix(suf) {
			return suf
		}
	}
	return ""
}

// removeIn removes the first of the suffixes that the runes from start on
// end in, and returns it.
func (s *stemmer) removeIn(start int, suffixes ...string) string {
	suf := s.firstIn(start, suffixes...)
	if suf != "" {
		s.truncate(s.n - runes(suf))
	}
	return suf
}

// afterAYa reports whether the rune before a suffix of k runes is а or я,
// within RV.
func (s *stemmer) afterAYa(k int) bool {
	i := s.n - k - 1
	return i >= s.rv && (s.rs[i] == 'а' || s.rs[i] == 'я')
}

func (s *stemmer) ruStep1() {
	// Perfective gerund.
	suf := s.firstIn(s.rv, "ившись", "ывшись", "вшись", "ивши", "ывши", "вши", "ив", "ыв", "в")
	switch suf {
	case "в", "вши", "вшись":
		if !s.afterAYa(runes(suf)) {
			suf = ""
		}
	}
	if suf != "" {
		s.truncate(s.n - runes(suf))
		return
	}
	// Reflexive.
	s.removeIn(s.rv, "ся", "сь")
	// Adjectival: an adjective ending, and a participle before it.
	if s.removeIn(s.rv, "ими", "ыми", "его", "ого", "ему", "ому", "ее", "ие",
		"ые", "ое", "ей", "ий", "ый", "ой", "ем", "им", "ым",
		"ом", "их", "ых", "ую", "юю", "ая", "яя", "ою", "ею") != "" {
		p := s.firstIn(s.rv, "ивш", "ывш", "ующ", "ем", "нн", "вш", "ющ", "щ")
		switch p {
		case "ем", "нн", "вш", "ющ", "щ":
			if !s.afterAYa(runes(p)) {
				p = ""
			}
		}
		if p != "" {
			s.truncate(s.n - runes(p))
		}
		return
	}
	// Verb.
	suf = s.firstIn(s.rv, "уйте", "ейте", "ыть", "ыло", "ыли", "ыла", "уют", "ует",
		"нно", "йте", "ишь", "ить", "ите", "ило", "или", "ила",
		"ешь", "ете", "ены", "ено", "ена", "ят", "ют", "ыт", "ым",
		"ыл", "ую", "уй", "ть", "ны", "но", "на", "ло", "ли", "ла",
		"ит", "им", "ил", "ет", "ен", "ем", "ей", "ю", "н", "л", "й")
	switch suf {
	case "ла", "на", "ете", "йте", "ли", "й", "л", "ем", "н",
		"ло", "но", "ет", "ют", "ны", "ть", "ешь", "нно":
		if !s.afterAYa(runes(suf)) {
			suf = ""
		}
	}
	if suf != "" {
		s.truncate(s.n - runes(suf))
		return
	}
	// Noun.
	s.removeIn(s.rv, "иями", "ями", "иях", "иям", "ием", "ией", "ами", "ях",
		"ям", "ья", "ью", "ье", "ом", "ой", "ов", "ия", "ию",
		"ий", "ии", "ие", "ем", "ей", "еи", "ев", "ах", "ам",
		"я", "ю", "ь", "ы", "у", "о", "й", "и", "е", "а")
}

func (s *stemmer) ruStep4() {
	if s.hasSuffix("нн") {
		s.truncate(s.n - 1)
		return
	}
	if s.removeIn(0, "ейше", "ейш") != "" {
		if s.hasSuffix("нн") {
			s.truncate(s.n - 1)
		}
		return
	}
	if s.n > 0 && s.rs[s.n-1] == 'ь' {
		s.truncate(s.n - 1)
	}
}
