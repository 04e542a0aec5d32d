package storage

import (
	"testing"

	"github.com/herald-news/herald/alerts"
)

// An article's picture survives storage: the platforms show it when the
// alert is sent, which may be after a restart.
func TestArticleImageIsStored(t *testing.T) {
	d := openTest(t)
	commitArticle(t, d, alerts.Article{ID: "img1", Title: "Pictured", Image: "https://cdn.example/a.jpg", Ingested: t0})
	got, err := d.GetArticle("img1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Image != "https://cdn.example/a.jpg" {
		t.Errorf("image after storage: %q", got.Image)
	}
}
