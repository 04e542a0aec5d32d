package bot

import "github.com/herald-news/herald/alerts"

// NewRefusedChatsForTest exposes the bounded set of refused chats.
func NewRefusedChatsForTest(max int) func(alerts.TargetID) bool {
	return newRefusedChats(max).add
}
