package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/herald-news/herald/alerts"
	"github.com/herald-news/herald/bot"
)

// A reply that counts something agrees with its count in the chat's
// language: "1 subscription" and "21 подписка" but "22 подписки" and
// "25 подписок". Each case imports n subscriptions into a chat of its
// own, then reads /list, /export and /unsubscribe all there.
func TestRepliesAgreeWithTheirCount(t *testing.T) {
	// form picks a language's form for n: English has one and other;
	// Russian and Ukrainian one (1, 21), few (2, 22) and many (5, 25).
	form := func(lang string, n int, one, few, many string) string {
		switch {
		case lang == "en" && n == 1:
			return fmt.Sprintf(one, n)
		case lang == "en":
			return fmt.Sprintf(many, n)
		case n%10 == 1 && n%100 != 11:
			return fmt.Sprintf(one, n)
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return fmt.Sprintf(few, n)
		}
		return fmt.Sprintf(many, n)
	}
	type forms struct{ one, few, many string }
	want := map[string][]forms{ // /import, /list, /export, /unsubscribe all
		"en": {
			{"Imported: %d subscription added,", "", "Imported: %d subscriptions added,"},
			{"This chat follows %d topic (at most 50)", "", "This chat follows %d topics (at most 50)"},
			{"This chat's %d subscription and", "", "This chat's %d subscriptions and"},
			{"Unsubscribed from the %d topic.", "", "Unsubscribed from all %d topics."},
		},
		"ru": {
			{"Импорт: добавлена %d подписка,", "Импорт: добавлены %d подписки,", "Импорт: добавлено %d подписок,"},
			{"Этот чат следит за %d темой (", "Этот чат следит за %d темами (", "Этот чат следит за %d темами ("},
			{"%d подписка этого чата", "%d подписки этого чата", "%d подписок этого чата"},
			{"удалив %d тему.", "удалив %d темы.", "удалив %d тем."},
		},
		"uk": {
			{"Імпорт: додано %d підписку,", "Імпорт: додано %d підписки,", "Імпорт: додано %d підписок,"},
			{"Цей чат стежить за %d темою (", "Цей чат стежить за %d темами (", "Цей чат стежить за %d темами ("},
			{"%d підписка цього чату", "%d підписки цього чату", "%d підписок цього чату"},
			{"видалено %d тему.", "видалено %d теми.", "видалено %d тем."},
		},
	}
	e := newEnv(t)
	for _, lang := range bot.Languages {
		for _, n := range []int{1, 2, 5, 21, 22, 25} {
			target := alerts.Target{ID: alerts.TargetID(fmt.Sprintf("test:%s%d", lang, n)), Kind: alerts.KindDM}
			run := func(text string, file *bot.File) string {
				return e.bot.HandleCommand(context.Background(), bot.Command{Target: target, UserID: string(target.ID), CanManage: true,
					Lang: lang, Text: text, File: file}).Text
			}
			export := "herald export 1\n"
			for i := range n {
				export += fmt.Sprintf("subscribe topic%d\n", i)
			}
			replies := []string{
				run("/import", &bot.File{Name: "x.txt", Data: []byte(export)}),
				run("/list", nil),
				run("/export", nil),
				run("/unsubscribe all confirm", nil),
			}
			for i, f := range want[lang] {
				if w := form(lang, n, f.one, f.few, f.many); !strings.Contains(replies[i], w) {
					t.Errorf("%s, %d: the reply lacks %q:\n%s", lang, n, w, replies[i])
				}
			}
		}
	}
}
