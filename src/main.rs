//! The `engram` binary: parse, run, and map every error to one line and a non-zero exit code.

mod cli;

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                std::process::exit(
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        2
                    } else {
                        0
                    },
                );
            }
            // clap's first line names the argument and the problem; the rest is usage help
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines
                .next()
                .unwrap_or("error: invalid arguments")
                .to_string();
            if first.ends_with(':') {
                // e.g. "the following required arguments were not provided:" + the argument
                first = format!("{first} {}", lines.next().unwrap_or(""));
            }
            eprintln!("{first} (see 'engram --help')");
            std::process::exit(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = cli::execute(cli, &mut out);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(()), Ok(())) => {}
        (Err(e), _) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            std::process::exit(1);
        }
        (Ok(()), Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        (Ok(()), Err(e)) => {
            eprintln!("error: cannot write output: {e}");
            std::process::exit(1);
        }
    }
}
