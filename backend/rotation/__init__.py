"""Master-key rotation: re-wrapping every data key under the active master key, and retiring old ones."""
