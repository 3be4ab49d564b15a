//! Writes the packet capture the pcap import bench reads (`sio_benches::pcap`), for
//! `benches/pcap/run.sh` to time tshark and `sio-replay import` on the same file.
//!
//! Usage: `cargo run --release -p sio-benches --example write-pcap -- OUT.pcap [plain|deflate]`

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: write-pcap OUT.pcap [plain|deflate]");
        std::process::exit(64);
    };
    let deflate = match args.next().as_deref() {
        None | Some("plain") => false,
        Some("deflate") => true,
        Some(other) => {
            eprintln!("write-pcap: expected plain or deflate, not {other:?}");
            std::process::exit(64);
        }
    };
    let pcap = sio_benches::pcap::websocket_sessions(&sio_benches::Corpus::rt2_mix(), 4, deflate);
    std::fs::write(&out, &pcap)?;
    println!("{out}: {} bytes", pcap.len());
    Ok(())
}
