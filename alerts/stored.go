package alerts

// StoredDelivery is a Delivery as a store keeps it in its outbox: each
// alert's article replaced by the article's ID when the store holds the
// article (the one committed with the entry, or a story's first for an
// edit), so an article that matched 300 chats is stored once, not 300
// times. An article the store does not hold (an edit of a story whose
// first article expired, a hand-made delivery) stays inline. Its JSON is
// the stored format of both stores; entries written before references
// existed decode as records with every article inline.
type StoredDelivery struct {
	Delivery
	Alerts []StoredAlert `json:"alerts"`
}

// StoredAlert is one alert of a StoredDelivery.
type StoredAlert struct {
	Alert
	// Article is an inline copy, or nil when ArticleID refers to the
	// stored article.
	Article   *Article `json:"article,omitempty"`
	ArticleID string   `json:"article_id,omitempty"`
}

// StoreDelivery turns d into its stored form; held reports whether the
// store holds an article.
func StoreDelivery(d Delivery, held func(articleID string) bool) StoredDelivery {
	rec := StoredDelivery{Delivery: d}
	rec.Delivery.Alerts = nil
	for _, a := range d.Alerts {
		sa := StoredAlert{Alert: a}
		sa.Alert.Article = Article{}
		if a.Article.ID != "" && held(a.Article.ID) {
			sa.ArticleID = a.Article.ID
		} else {
			art := a.Article
			sa.Article = &art
		}
		rec.Alerts = append(rec.Alerts, sa)
	}
	return rec
}

// Hydrate returns the delivery as it was enqueued, each referred article
// from article (which the store answers as it can: an article gone leaves
// its ID).
func (r StoredDelivery) Hydrate(article func(id string) Article) Delivery {
	d := r.Delivery
	d.Alerts = make([]Alert, 0, len(r.Alerts))
	for _, sa := range r.Alerts {
		a := sa.Alert
		switch {
		case sa.Article != nil:
			a.Article = *sa.Article
		case sa.ArticleID != "":
			a.Article = article(sa.ArticleID)
		}
		d.Alerts = append(d.Alerts, a)
	}
	return d
}

// Bare returns the delivery with its alerts but without their articles:
// enough to compare its sources, not to send it.
func (r StoredDelivery) Bare() Delivery {
	return r.Hydrate(func(string) Article { return Article{} })
}

// Story is the story of the entry's first alert, as Delivery.Story (the
// embedded Delivery's own Alerts are empty in the stored form).
func (d StoredDelivery) Story() string {
	if len(d.Alerts) == 0 {
		return ""
	}
	return d.Alerts[0].Story
}
