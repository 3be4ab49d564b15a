//! rt2-mock
