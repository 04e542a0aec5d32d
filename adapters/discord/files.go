package discord

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/herald-news/herald/bot"
)

// Files a command sends (/export, an attachment of its ephemeral reply)
// or reads (/import's attachment option).

// attachmentOf returns the attachment given to a command's file option,
// as Discord resolved it in the interaction.
func attachmentOf(d discordgo.ApplicationCommandInteractionData) *discordgo.MessageAttachment {
	if d.Resolved == nil {
		return nil
	}
	for _, o := range d.Options {
		if o == nil || o.Type != discordgo.ApplicationCommandOptionAttachment {
			continue
		}
		if id, ok := o.Value.(string); ok {
			return d.Resolved.Attachments[id]
		}
	}
	return nil
}

// roleOf returns the role given to a command's role option, by ID and
// name as Discord resolved it.
func roleOf(d discordgo.ApplicationCommandInteractionData) (id, name string) {
	for _, o := range d.Options {
		if o == nil || o.Type != discordgo.ApplicationCommandOptionRole {
			continue
		}
		id, _ = o.Value.(string)
		if d.Resolved != nil && d.Resolved.Roles[id] != nil {
			name = d.Resolved.Roles[id].Name
		}
		return id, name
	}
	return "", ""
}

// fetch downloads an attachment from Discord's CDN (its URL comes in the
// interaction), refusing one over bot.MaxFileSize.
func (a *Adapter) fetch(ctx context.Context, at *discordgo.MessageAttachment) (*bot.File, error) {
	if at.Size > bot.MaxFileSize {
		return nil, fmt.Errorf("%s is %d KiB; the most I read is %d KiB", at.Filename, at.Size>>10, bot.MaxFileSize>>10)
	}
	u, err := url.Parse(at.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s has no usable address", at.Filename)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.rest.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", at.Filename, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download %s: HTTP %s", at.Filename, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, bot.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", at.Filename, err)
	}
	if len(data) > bot.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d KiB, the most I read", at.Filename, bot.MaxFileSize>>10)
	}
	return &bot.File{Name: at.Filename, Data: data}, nil
}

// discordFile is a reply's file as discordgo uploads it.
func discordFile(f *bot.File) *discordgo.File {
	return &discordgo.File{Name: f.Name, ContentType: "text/plain; charset=utf-8", Reader: bytes.NewReader(f.Data)}
}
