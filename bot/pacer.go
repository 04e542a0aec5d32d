package bot

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/herald-news/herald/alerts"
)

// ReplyPacer is what an adapter asks before each message it sends in answer
// to a command (each part of a long reply): command replies share the
// platform's budget and the chat's pacing with alerts, ahead of them.
// *Bot implements it.
type ReplyPacer interface {
	// ReplyTurn waits until a message to t may leave now: the platform's
	// budget has room, and t's chat is past its interval since its last
	// message (alert or reply) with none in flight. Replies go before any
	// alert waiting for the same budget. The adapter calls done once the
	// message was sent (or failed): the chat's next message is paced from
	// then. It returns ctx's error when ctx ends first; an adapter whose
	// platform will not wait that long (Discord's 3 s for an interaction)
	// sets a deadline and defers its answer.
	ReplyTurn(ctx context.Context, t alerts.Target) (done func(), err error)
}

// pacer is one platform's pacing, the only place Herald paces a platform:
// the platform's budget (a token bucket of Rate.PerSecond and Rate.Burst,
// and never more than PerSecond+Burst sends in any second) and each chat's
// interval. Alerts (a dispatcher's turns) and command replies (adapters,
// through ReplyPacer) take their turns here, replies first. Adapters do not
// pace: they report the platform's answers (a 429's Retry-After), which
// pause the platform or the chat here. All times come from the injected
// clock.
type pacer struct {
	rate Rate
	now  func() time.Time

	mu sync.Mutex
	// changed is closed and replaced whenever a waiter may be able to go:
	// a send ended, a reply stopped waiting.
	changed chan struct{}
	// emission and tolerance run the token bucket as a GCRA: a send may go
	// once tat-tolerance is not in the future; each send moves tat on by
	// emission.
	emission, tolerance time.Duration
	tat                 time.Time
	// limit is how many sends any one second may hold. ended holds when
	// the recent sends ended, oldest first, and inFlight counts the sends
	// not ended yet: a send may start only while fewer than limit ended
	// within the last second or are still in flight. Counting a send until
	// its answer came back, not from when it was granted, keeps every
	// one-second window of requests *as the platform receives them* within
	// the limit, however late a loaded machine puts a request on the wire.
	limit    int
	ended    []time.Time
	inFlight int
	// replies counts replies waiting for the budget: alerts wait for them.
	replies int
	// paused holds every send back until then (a global 429).
	paused time.Time
	chats  map[alerts.TargetID]*chatPace
	// share, when set, is this process's part of the platform's budget
	// (cluster mode), read again every shareEvery; applied is the part in
	// effect and sharedAt when it was read.
	share    func() float64
	applied  float64
	sharedAt time.Time
	// blocked says that a send waited for the budget since demand last
	// looked.
	blocked bool
}

// chatPace is one chat's pacing. A chat may hold several targets (a
// Telegram forum's topics share the group's 20 messages a minute).
type chatPace struct {
	// next is the earliest next send: the interval after the last one
	// ended, or a 429's Retry-After.
	next time.Time
	// busy counts sends to the chat in flight (or granted); replies counts
	// replies waiting for the chat. Alerts start only when both are zero.
	busy, replies int
}

func newPacer(r Rate, now func() time.Time) *pacer {
	r.Burst = max(r.Burst, 1)
	p := &pacer{rate: r, now: now, changed: make(chan struct{}), chats: map[alerts.TargetID]*chatPace{}}
	p.applyShareLocked(1)
	return p
}

// shareEvery is how often a pacer with a share reads it again.
const shareEvery = 100 * time.Millisecond

// applyShareLocked sets the budget to share (0 to 1) of the platform's:
// the bucket's rate and burst, and the sends one second may hold (never
// more than that share of PerSecond+Burst, so that the processes of a
// deployment whose shares add up to 1 keep the platform's limit together).
// A share of 0 lets nothing through.
func (p *pacer) applyShareLocked(share float64) {
	share = min(max(share, 0), 1)
	p.applied = share
	r := p.rate
	if share == 1 {
		p.limit = max(1, int(math.Ceil(r.PerSecond))+r.Burst)
	} else {
		p.limit = int(math.Floor((r.PerSecond + float64(r.Burst)) * share))
	}
	p.emission, p.tolerance = 0, 0
	if rate := r.PerSecond * share; rate > 0 {
		p.emission = time.Duration(float64(time.Second) / rate)
		burst := max(1, int(float64(r.Burst)*share))
		p.tolerance = time.Duration(burst-1) * p.emission
	}
}

// refreshShareLocked reads the share again when it is due.
func (p *pacer) refreshShareLocked(now time.Time) {
	if p.share == nil || now.Sub(p.sharedAt) < shareEvery && !p.sharedAt.IsZero() {
		return
	}
	p.sharedAt = now
	if s := p.share(); s != p.applied {
		p.applyShareLocked(s)
	}
}

// every is the interval between two messages to a chat of kind k.
func (p *pacer) every(k alerts.TargetKind) time.Duration {
	if k == alerts.KindDM {
		return p.rate.DMEvery
	}
	return p.rate.GroupEvery
}

func (p *pacer) signalLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// idle stands for "until something changes": a waiter with nothing to time
// waits for changed, and looks again at least this often.
const idle = time.Second

// budgetWaitLocked says how long a send must wait for the platform's
// budget; 0 means it may go now.
func (p *pacer) budgetWaitLocked(now time.Time, reply bool) time.Duration {
	if !reply && p.replies > 0 {
		return idle
	}
	p.refreshShareLocked(now)
	if p.limit <= 0 {
		return shareEvery // no part of the budget here now
	}
	wait := p.paused.Sub(now)
	wait = max(wait, p.tat.Add(-p.tolerance).Sub(now))
	for len(p.ended) > 0 && !p.ended[0].Add(time.Second).After(now) {
		p.ended = p.ended[1:]
	}
	if p.inFlight+len(p.ended) >= p.limit {
		if len(p.ended) == 0 {
			return idle // every slot is in flight: wait for one to end
		}
		wait = max(wait, p.ended[0].Add(time.Second).Sub(now))
	}
	return max(wait, 0)
}

// acquire waits for the platform's budget and takes a place in it; release
// gives it back when the send ended.
func (p *pacer) acquire(ctx context.Context, reply bool) error {
	p.mu.Lock()
	if reply {
		p.replies++
	}
	for {
		now := p.now()
		wait := p.budgetWaitLocked(now, reply)
		if wait <= 0 {
			p.tat = maxTime(p.tat, now).Add(p.emission)
			p.inFlight++
			if reply {
				p.replies--
				p.signalLocked()
			}
			p.mu.Unlock()
			return nil
		}
		p.blocked = true
		if p.share != nil {
			wait = min(wait, shareEvery) // the share may grow meanwhile
		}
		if err := p.waitLocked(ctx, wait); err != nil {
			if reply {
				p.replies--
				p.signalLocked()
			}
			p.mu.Unlock()
			return err
		}
	}
}

// waitLocked releases p.mu for up to d or until something changes, and
// takes it again; it returns ctx's error when ctx ended.
func (p *pacer) waitLocked(ctx context.Context, d time.Duration) error {
	ch := p.changed
	p.mu.Unlock()
	t := time.NewTimer(d)
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
	case <-ch:
	}
	t.Stop()
	p.mu.Lock()
	return err
}

// use reports the budget as it stands (see BudgetUse), and starts a new
// look for waiting sends.
func (p *pacer) use() BudgetUse {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for len(p.ended) > 0 && !p.ended[0].Add(time.Second).After(now) {
		p.ended = p.ended[1:]
	}
	u := BudgetUse{Limit: p.limit, Used: p.inFlight + len(p.ended), Blocked: p.blocked || p.replies > 0,
		Total: max(1, int(math.Ceil(p.rate.PerSecond))+p.rate.Burst)}
	p.blocked = false
	return u
}

// release ends a send acquire granted.
func (p *pacer) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	p.ended = append(p.ended, p.now())
	p.signalLocked()
}

// pause holds every send back until t (a global 429).
func (p *pacer) pause(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = maxTime(p.paused, t)
}

// pausedFor reports how long the platform is still paused.
func (p *pacer) pausedFor(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused.Sub(now)
}

func (p *pacer) chatLocked(chat alerts.TargetID) *chatPace {
	c := p.chats[chat]
	if c == nil {
		c = &chatPace{}
		p.chats[chat] = c
	}
	return c
}

// chatReadyLocked says whether an alert may start to chat now; if not,
// wait is how long until its interval ends (0 when it is busy: a send or
// a reply is under way, and its end wakes the dispatcher).
func (p *pacer) chatReadyLocked(chat alerts.TargetID, now time.Time) (ok bool, wait time.Duration) {
	c := p.chats[chat]
	if c == nil {
		return true, 0
	}
	if c.busy > 0 || c.replies > 0 {
		return false, 0
	}
	if c.next.After(now) {
		return false, c.next.Sub(now)
	}
	return true, 0
}

// choose runs pick with every chat's pacing read under one lock (pick may
// ask about thousands of chats), and marks the chat pick chose busy.
func (p *pacer) choose(now time.Time, pick func(ready func(chat alerts.TargetID) (bool, time.Duration)) (chat alerts.TargetID, ok bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	chat, ok := pick(func(chat alerts.TargetID) (bool, time.Duration) { return p.chatReadyLocked(chat, now) })
	if ok {
		p.chatLocked(chat).busy++
	}
}

// paced returns the chats that may not be sent to now.
func (p *pacer) paced(now time.Time) map[alerts.TargetID]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[alerts.TargetID]bool{}
	for id := range p.chats {
		if ok, _ := p.chatReadyLocked(id, now); !ok {
			out[id] = true
		}
	}
	return out
}

// notBefore keeps chat from a send before t (pacing that survives a
// restart).
func (p *pacer) notBefore(chat alerts.TargetID, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.chatLocked(chat)
	c.next = maxTime(c.next, t)
}

// end marks a send to chat over: the next one waits at least after from
// now (its interval, or a 429's Retry-After); after 0 leaves the chat's
// pacing as it was (nothing was sent).
func (p *pacer) end(chat alerts.TargetID, after time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.chatLocked(chat)
	c.busy = max(c.busy-1, 0)
	if after > 0 {
		c.next = maxTime(c.next, p.now().Add(after))
	}
	p.signalLocked()
}

// replyTurn waits for chat and then for the budget, ahead of alerts.
func (p *pacer) replyTurn(ctx context.Context, chat alerts.TargetID, every time.Duration) (func(), error) {
	p.mu.Lock()
	c := p.chatLocked(chat)
	c.replies++
	for {
		now := p.now()
		if c.busy == 0 && !c.next.After(now) {
			break
		}
		wait := idle
		if c.busy == 0 {
			wait = c.next.Sub(now)
		}
		if err := p.waitLocked(ctx, wait); err != nil {
			c.replies--
			p.signalLocked()
			p.mu.Unlock()
			return nil, err
		}
	}
	c.replies--
	c.busy++
	p.mu.Unlock()
	if err := p.acquire(ctx, true); err != nil {
		p.end(chat, 0)
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			p.release()
			p.end(chat, every)
		})
	}, nil
}

// sweep forgets chats with nothing under way whose interval has passed.
func (p *pacer) sweep(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, c := range p.chats {
		if c.busy == 0 && c.replies == 0 && !c.next.After(now) {
			delete(p.chats, id)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ReplyTurn paces a command reply to t (see ReplyPacer). A platform the
// bot does not send to is not paced.
func (b *Bot) ReplyTurn(ctx context.Context, t alerts.Target) (func(), error) {
	p := b.pacers[t.ID.Platform()]
	if p == nil {
		return func() {}, nil
	}
	return p.replyTurn(ctx, t.ID.Chat(), p.every(t.Kind))
}
