//! Bad input on either side: relayed or closed as the endpoints dictate, recorded with a
//! decode error, and the proxy stays up.
