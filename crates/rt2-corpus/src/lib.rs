//! rt2-corpus
