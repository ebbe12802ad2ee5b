/* Plain tables: adding a name or a word is a one-line change. */
#include "synth_words.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define TABLE(a) {a, COUNT(a)}

const struct synth_name synth_names[] = {
	{"Zoë Ångström", "zoe.angstrom"},
	{"李雷", "li.lei"},
	{"Ólafur Arnalds", "olafur"},
	{"Ada Lovelace", "ada"},
	{"Grace Hopper", "grace"},
	{"José Núñez", "jose.nunez"},
	{"Søren Kierkegaard", "soren.k"},
	{"Анна Петрова", "anna.petrova"},
	{"محمد علي", "m.ali"},
	{"Nguyễn Văn An", "nguyen.an"},
	{"Siobhán O'Neill", "siobhan"},
	{"Émile \"Ziggy\" Durand", "emile.durand"},
	{"田中 花子", "hanako.tanaka"},
	{"Łukasz Żółć", "lukasz"},
	{"Björk Guðmundsdóttir", "bjork"},
	{"Zoë Ångström 李雷 🎧", "zoe.li"},
	{"Dr. Ngozi Okonjo-Iweala", "ngozi"},
	{"Ramón y Cajal", "ramon"},
};
const size_t synth_nnames = COUNT(synth_names);

static const char *const vocabulary[] = {
	"so", "the", "Q3", "numbers", "look", "good", "we", "should", "ship",
	"it", "on", "Friday", "can", "you", "share", "your", "screen",
	"I", "think", "that's", "right", "let's", "move", "to", "the",
	"next", "item", "budget", "is", "about", "12%", "over", "café",
	"naïve", "résumé", "über", "Grüße", "données", "façade", "jalapeño",
	"日本語", "会议", "спасибо", "مرحبا", "👍", "🎉", "okay", "yeah",
	"um", "actually", "deadline", "roadmap", "customers", "latency",
	"p99", "deploy", "rollback", "\"quoted\"", "back\\slash", "and",
	"then", "we'll", "sync", "offline", "tomorrow", "morning", "sounds",
	"great", "thanks", "everyone",
};
const struct synth_table synth_vocabulary = TABLE(vocabulary);

static const char *const chat_lines[] = {
	"Hi all 👋",
	"Can you share the slides?",
	"\"quick\" note: café at 5 / slides in #deck",
	"Link: https://example.com/doc?id=42&view=full",
	"Ich bin gleich zurück",
	"好的，谢谢！",
	"brb",
	"Tab\there, back\\slash there",
	"Line one\nline two",
	"+1",
	"Can everyone see my screen?",
	"Sorry, I'm on mobile 📱",
	"مرحبا بالجميع",
};
const struct synth_table synth_chat_lines = TABLE(chat_lines);

static const char *const platforms[] = {
	"desktop", "desktop", "mobile_app", "web", NULL,
};
const struct synth_table synth_platforms = TABLE(platforms);

static const char *const titles[] = {
	"Weekly sync", "Q3 planning", "Customer call — Acme", "1:1",
	"Réunion d'équipe", "週次ミーティング", "Incident review #42",
};
const struct synth_table synth_titles = TABLE(titles);

static const char *const tenants[] = {"acme", "globex", "initech", "umbrella"};
const struct synth_table synth_tenants = TABLE(tenants);

static const char *const email_domains[] = {
	"example.com", "example.org", "example.net",
};
const struct synth_table synth_email_domains = TABLE(email_domains);

const char *synth_pick(struct rng *r, const struct synth_table *table)
{
	return table->items[rng_below(r, (uint32_t)table->n)];
}
