//! `sio-replay`: record, replay and test Socket.IO traffic.

fn main() {
    println!("sio-replay: under construction");
}
