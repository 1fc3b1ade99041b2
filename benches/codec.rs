//! Wall-time benchmarks against peers, in one run. Results land in
//! `target/criterion/{decode,encode}_<message>/<function>/`.
//!
//! `cargo bench --bench codec -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use xentara_ws_support::bench::*;

fn decode(c: &mut Criterion) {
    for &name in NAMES {
        let m = message(name);
        let bytes = m.bytes.as_slice();
        let mut g = c.benchmark_group(format!("decode/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("xentara-ws", |b| {
            b.iter(|| decode_xentara(black_box(bytes)))
        });
        g.bench_function("minicbor-skip", |b| {
            b.iter(|| skip_minicbor(black_box(bytes)))
        });
        if name == "close_sub_session" {
            g.bench_function("minicbor-hand", |b| {
                b.iter(|| decode_minicbor_seed(black_box(bytes)))
            });
            g.bench_function("bytes", |b| b.iter(|| decode_bytes_seed(black_box(bytes))));
        }
        g.bench_function("ciborium", |b| b.iter(|| decode_ciborium(black_box(bytes))));
        g.finish();
    }
}

fn encode(c: &mut Criterion) {
    let mut buf = [0u8; 64 * 1024];
    let mut out = Vec::with_capacity(64 * 1024);
    for &name in NAMES {
        let m = message(name);
        let value = decode_ciborium(&m.bytes).expect("ciborium decodes the message");
        let mut g = c.benchmark_group(format!("encode/{name}"));
        g.throughput(Throughput::Bytes(m.bytes.len() as u64));
        g.bench_function("xentara-ws", |b| {
            b.iter(|| encode_xentara(black_box(&m.packets), &mut buf))
        });
        if name == "close_sub_session" {
            g.bench_function("minicbor-hand", |b| {
                b.iter(|| encode_minicbor_seed(black_box(SEED_ID), black_box(&SEED_UUID), &mut buf))
            });
        }
        g.bench_function("ciborium", |b| {
            b.iter(|| encode_ciborium(black_box(&value), &mut out))
        });
        g.finish();
    }
}

/// Batch decoding against packet count: the per-element throughput should stay flat.
fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode-scaling");
    for &name in SCALING {
        let m = message(name);
        g.throughput(Throughput::Elements(m.packets.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("xentara-ws", name),
            &m.bytes,
            |b, bytes| b.iter(|| decode_xentara(black_box(bytes))),
        );
    }
    g.finish();
}

criterion_group!(benches, decode, encode, scaling);
criterion_main!(benches);
