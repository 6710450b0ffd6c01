"""paretobot: regression tracking for LLM inference frameworks."""
