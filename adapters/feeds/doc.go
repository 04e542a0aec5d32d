// Package feeds brings articles into Herald: it polls RSS, Atom and JSON
// feeds, takes pages pushed over HTTP, and cleans what it reads into
// alerts.Article values that the matcher and summariser can trust.
package feeds
