// Package feeds brings articles into Herald: it polls RSS, Atom and JSON
// feeds, takes pages pushed over HTTP, and cleans what it reads into
// alerts.Article values that the matcher and summariser can trust.
//
// # Reading a document
//
// A fetched body is never held whole. rawbody.go inflates a gzip body
// nobody named and tells a binary file from text; charset.go (with
// utf8repair.go and cyrillic.go) decodes it to UTF-8 as it arrives (BOM,
// HTTP charset, XML declaration, <meta>, else detection); xmlinput.go
// (with xmltag.go) mends what the XML decoder would stop at, and
// xmlreader.go turns the text into a forgiving stream of XML events;
// xmlroot.go finds the feed's root, xmlfeed.go and jsonfeed.go read RSS,
// Atom and JSON Feed items from it; item.go keeps the newest of them and
// makes each an article, with the field rules of date.go, sanitize.go and
// textfix.go; parse.go ties these together and says what a document is
// when it is no feed. read.go reads files and URLs for herald read and
// herald match.
//
// # Polling
//
// poller.go holds the Poller and its options; schedule.go runs the
// workers and the queue of due feeds; hostlimit.go allows two requests at
// a time per host; fetch.go does conditional GETs and streams the body;
// body.go caps what is read and shares out the budget for large
// documents; pollfeed.go polls one feed, ingest.go finds its new items
// (backlog and flood rules) and sends them, extract.go fetches the page of
// a teaser; persist.go writes feed state, sources.go adds and removes
// feeds, health.go reports them for /sources, websub.go takes pushes.
//
// # Cleaning
//
// clean.go (Clean), html.go, text.go, text_noise.go, text_outlet.go and
// url.go turn any article, fed or pushed (push.go), into trustworthy text.
package feeds
