//! tpos-chat
