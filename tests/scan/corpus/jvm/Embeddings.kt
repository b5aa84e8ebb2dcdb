package com.acme.search

import com.aallam.openai.api.model.ModelId

object Embeddings {
    val model = ModelId("text-embedding-3-small")
    val legacy = ModelId("text-embedding-ada-002")
    const val chat = "gpt-4-32k"
    val kotlinVersion = "1.9.24"
    val gpt4oLabel = "GPT-4o (omni)"
}
