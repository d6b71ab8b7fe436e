"""Role profiles: required skills with target levels and importance, built from the product's
Backend Engineer template, an O*NET occupation or from scratch; and who holds which role."""
