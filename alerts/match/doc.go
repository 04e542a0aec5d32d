// Package match is Herald's query language and the index that matches
// articles against every subscription at once.
//
// A query is words, "phrases", AND, OR, NOT (or a leading -), parentheses,
// title: and source: (Parse; the README's query table is the user's
// reference). Bare words are stemmed (English Snowball for Latin script,
// Russian for Cyrillic), fold case, accents and apostrophes, and read a
// hyphenated compound both split and joined. A bare word or run of words
// that names an entry of the actors list (actors.txt, extended by the
// operator) or of the topics list (topics.txt) stands for every form of
// the entry; quotes keep a term exact.
//
// The files, by job:
//
//	lex.go, parse.go, terms.go   query text → tokens → tree of leaves
//	query.go                     the parsed Query: canonical form, expansions
//	eval.go                      Doc: one article, evaluated query by query (Explain, Brute)
//	names.go, tagger.go          the name lists bare words expand through (actors.txt, topics.txt)
//	canonical.go                 a query's canonical form; queries too broad to follow
//	stem.go, stem_en.go, stem_ru.go  the Snowball stemmers, allocation-free
//	token.go, fold.go            the tokenizer shared by queries and articles
//	compile.go, memo.go          Query → program over term fingerprints; Load's memos
//	index.go, insert.go          the Index: adding, replacing, removing
//	load.go, bulk.go             bulk loading: parsing on every core, then one build
//	dict.go, postings.go         term dictionary and posting lists
//	anchors.go, cost.go          which terms a subscription is indexed under
//	body.go, arena.go            distinct queries and their subscribers, in pages of words
//	offtable.go, idtable.go      subscription ID → body, compiled program → body
//	matcher.go, lookup.go, exec.go  matching one article: tokens → stamps → candidates → programs
//	source.go                    the source: keys of an article
//	caches.go                    the lock-free stem and surface caches
//	brute.go, regexp.go          the reference evaluators herald bench compares against
//
// The Index never scans its subscriptions: each is indexed under the
// terms of one clause that any matching article must contain (its
// anchors), and an article's words, looked up in the term dictionary,
// select the candidates whose programs are then run. Add and Remove run
// while matching goes on; nothing is rebuilt as a whole.
package match
