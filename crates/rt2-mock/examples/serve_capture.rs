//! Serves a capture on 127.0.0.1 until Ctrl-C: `cargo run -p rt2-mock --example serve_capture
//! -- captures/rt2-chatomni.jsonl 3000 [speed]`. The CLI's `serve` is the full-featured way; this
//! is the smallest program that embeds the mock.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let capture = args
        .next()
        .ok_or("usage: serve_capture CAPTURE [PORT] [SPEED]")?;
    let port: u16 = args.next().map_or(Ok(3000), |p| p.parse())?;
    let speed: f64 = args.next().map_or(Ok(1.0), |s| s.parse())?;
    let mut config = rt2_mock::MockConfig::default();
    config.capture = Some(Arc::new(rt2_mock::Capture::open(&capture)?));
    config.replay.pace = rt2_mock::Pace::Scaled(speed);
    let listener = rt2_mock::bind(([127, 0, 0, 1], port).into()).await?;
    let addr = listener.local_addr()?;
    println!("serving {capture} on http://{addr}");
    // A new admin token each run, made by `MockConfig::default()`.
    if let Some(token) = &config.admin_token {
        println!(
            "admin: http://{addr}/__admin/ (Authorization: Bearer {})",
            token.as_str()
        );
    }
    rt2_mock::serve(listener, config, rt2_mock::ctrl_c_or_sigterm()).await?;
    Ok(())
}
