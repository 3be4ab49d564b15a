//! Client side: the recorder and the load generator.
