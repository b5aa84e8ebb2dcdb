package main

import (
	"context"
	"fmt"

	"github.com/sashabaranov/go-openai"
)

// ModelGPT4 is kept for old tenants; gpt-4-0314 was removed long ago.
const ModelGPT4 = "gpt-4-0314"

var models = map[string]string{
	"chat":  "gpt-4o",
	"cheap": "gpt-4o-mini-2024-07-18",
	"think": "o1-preview",
	"old":   `gpt-3.5-turbo-16k-0613`,
}

func main() {
	client := openai.NewClient("token")
	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    openai.GPT4Turbo, // a Go constant, not a string
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}},
	})
	fmt.Println(resp, err, models)
	var gpt4Client = client
	fmt.Println(gpt4Client, "go1.22.3")
}
