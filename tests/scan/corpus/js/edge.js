// Template literals, interpolated routes and REST URLs.
const provider = process.env.PROVIDER;
const model = `${provider}/claude-3-opus-20240229`;
const ids = ["gpt-4o", "gpt-4o-mini"].map((id) => `openai/${id}`);
const url = `https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:generateContent?key=${process.env.KEY}`;
const label = "GPT-4o mini";
const fixtures = "./fixtures/claude-3-opus-20240229.json";
module.exports = { model, ids, url, label, fixtures };
