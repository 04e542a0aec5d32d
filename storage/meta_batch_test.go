package storage

import "testing"

func TestPutMetasWritesAllInOneGo(t *testing.T) {
	db := openTest(t)
	kv := map[string][]byte{"feed:https://a.example/rss": []byte(`{"etag":"x"}`), "tg_offset": []byte("42")}
	if err := db.PutMetas(kv); err != nil {
		t.Fatal(err)
	}
	for k, want := range kv {
		got, err := db.GetMeta(k)
		if err != nil || string(got) != string(want) {
			t.Errorf("GetMeta(%q) = %q, %v", k, got, err)
		}
	}
	if err := db.PutMetas(map[string][]byte{"schema_version": {1}}); err == nil {
		t.Error("PutMetas overwrote the schema version")
	}
}
