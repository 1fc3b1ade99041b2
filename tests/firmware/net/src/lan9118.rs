//! A polling driver for the SMSC LAN9118 Ethernet controller of the mps2-an386 board, as a
//! `smoltcp` device. Written from the datasheet's register map: 32-bit registers, frames
//! through the RX and TX data FIFOs, one status word per frame.
//!
//! The controller raises its interrupt line when a frame arrives (RX status FIFO level
//! above 0); the firmware only uses it to wake from `wfi` and reads the FIFOs here.

use core::ptr::{read_volatile, write_volatile};

use smoltcp::phy::{self, Checksum, ChecksumCapabilities, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Where the board maps the controller.
const BASE: usize = 0x4020_0000;

// Register offsets.
const RX_DATA_FIFO: usize = 0x00;
const TX_DATA_FIFO: usize = 0x20;
const RX_STATUS_FIFO: usize = 0x40;
const TX_STATUS_FIFO: usize = 0x48;
const IRQ_CFG: usize = 0x54;
const INT_STS: usize = 0x58;
const INT_EN: usize = 0x5c;
const BYTE_TEST: usize = 0x64;
const FIFO_INT: usize = 0x68;
const TX_CFG: usize = 0x70;
const HW_CFG: usize = 0x74;
const RX_DP_CTRL: usize = 0x78;
const RX_FIFO_INF: usize = 0x7c;
const TX_FIFO_INF: usize = 0x80;
const PMT_CTRL: usize = 0x84;
const MAC_CSR_CMD: usize = 0xa4;
const MAC_CSR_DATA: usize = 0xa8;

// MAC registers, through MAC_CSR_CMD / MAC_CSR_DATA.
const MAC_CR: u32 = 1;
const MAC_ADDRH: u32 = 2;
const MAC_ADDRL: u32 = 3;
const MAC_CR_FDPX: u32 = 1 << 20;
const MAC_CR_TXEN: u32 = 1 << 3;
const MAC_CR_RXEN: u32 = 1 << 2;
const CSR_BUSY: u32 = 1 << 31;
const CSR_READ: u32 = 1 << 30;

/// BYTE_TEST reads this on a working bus.
const BYTE_TEST_VALUE: u32 = 0x8765_4321;
/// IRQ_CFG: the line enabled, active high, push-pull.
const IRQ_ENABLE_HIGH: u32 = (1 << 8) | (1 << 4) | 1;
/// INT_EN / INT_STS: RX status FIFO level.
const RSFL_INT: u32 = 1 << 3;
/// TX_CFG: transmitter on, TX status FIFO may overrun (statuses are not needed).
const TX_ON_SAO: u32 = (1 << 1) | (1 << 2);
/// TX command A: first and last segment of a frame.
const TX_CMD_A_FIRST_LAST: u32 = (1 << 13) | (1 << 12);
/// RX status: error summary.
const RX_STS_ERROR: u32 = 1 << 15;
/// RX_DP_CTRL: skip the rest of the current frame.
const RX_FFWD: u32 = 1 << 31;

/// The largest Ethernet frame handled (without the CRC).
pub const MTU: usize = 1514;

fn read(offset: usize) -> u32 {
    // SAFETY: BASE + offset is one of the controller's registers, mapped by the board;
    // reads have no effect besides the controller's own (FIFO pops).
    unsafe { read_volatile((BASE + offset) as *const u32) }
}

fn write(offset: usize, value: u32) {
    // SAFETY: as `read`; only this driver touches the controller.
    unsafe { write_volatile((BASE + offset) as *mut u32, value) }
}

fn mac_read(reg: u32) -> u32 {
    write(MAC_CSR_CMD, CSR_BUSY | CSR_READ | reg);
    while read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
    read(MAC_CSR_DATA)
}

fn mac_write(reg: u32, value: u32) {
    write(MAC_CSR_DATA, value);
    write(MAC_CSR_CMD, CSR_BUSY | reg);
    while read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
}

/// Acknowledges the controller's interrupt (its handler calls this; the frames are read
/// by the main loop).
pub fn acknowledge_interrupt() {
    write(INT_STS, u32::MAX);
}

/// The controller, with one frame buffer each way.
pub struct Lan9118 {
    mac: [u8; 6],
    rx: [u8; MTU],
    tx: [u8; MTU],
    /// Frames dropped: errored or longer than [`MTU`].
    pub dropped: u32,
}

impl Lan9118 {
    /// Resets the controller and starts it with the MAC address it has (QEMU's
    /// `52:54:00:12:34:56` unless set); `None` when it does not answer.
    pub fn new() -> Option<Self> {
        if read(BYTE_TEST) != BYTE_TEST_VALUE {
            return None;
        }
        write(HW_CFG, 1);
        while read(HW_CFG) & 1 != 0 {}
        while read(PMT_CTRL) & 1 == 0 {}
        let low = mac_read(MAC_ADDRL).to_le_bytes();
        let high = mac_read(MAC_ADDRH).to_le_bytes();
        let mac = [low[0], low[1], low[2], low[3], high[0], high[1]];
        write(TX_CFG, TX_ON_SAO);
        mac_write(MAC_CR, MAC_CR_FDPX | MAC_CR_TXEN | MAC_CR_RXEN);
        // An interrupt for every received frame: RX status level 0.
        write(FIFO_INT, read(FIFO_INT) & !0xff);
        write(INT_STS, u32::MAX);
        write(INT_EN, RSFL_INT);
        write(IRQ_CFG, IRQ_ENABLE_HIGH);
        Some(Lan9118 {
            mac,
            rx: [0; MTU],
            tx: [0; MTU],
            dropped: 0,
        })
    }

    /// The MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// Reads the next received frame into the RX buffer: its length, `None` when there
    /// is none (an errored or oversized frame is skipped and counted).
    fn next_frame(&mut self) -> Option<usize> {
        loop {
            if (read(RX_FIFO_INF) >> 16) & 0xff == 0 {
                return None;
            }
            let status = read(RX_STATUS_FIFO);
            // The length counts the 4-byte CRC that follows the frame in the FIFO.
            let len = ((status >> 16) & 0x3fff) as usize;
            let words = len.div_ceil(4);
            let frame = len.saturating_sub(4);
            if status & RX_STS_ERROR != 0 || frame > MTU || frame == 0 {
                self.dropped += 1;
                skip(words);
                continue;
            }
            let mut at = 0;
            for _ in 0..words {
                let word = read(RX_DATA_FIFO).to_le_bytes();
                for b in word {
                    if at < frame {
                        self.rx[at] = b;
                    }
                    at += 1;
                }
            }
            return Some(frame);
        }
    }
}

/// Drops `words` words of the current frame: fast-forward for 4 or more (the datasheet's
/// rule), reads below.
fn skip(words: usize) {
    if words >= 4 {
        write(RX_DP_CTRL, RX_FFWD);
        while read(RX_DP_CTRL) & RX_FFWD != 0 {}
    } else {
        for _ in 0..words {
            let _ = read(RX_DATA_FIFO);
        }
    }
}

/// Sends `frame` as one segment.
fn send(frame: &[u8]) {
    let len = frame.len() as u32;
    write(TX_DATA_FIFO, TX_CMD_A_FIRST_LAST | len);
    // Command B: the length as the frame's tag too.
    write(TX_DATA_FIFO, (len << 16) | len);
    for chunk in frame.chunks(4) {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        write(TX_DATA_FIFO, u32::from_le_bytes(word));
    }
    // Statuses are not used: drop those that came (TX_CFG lets the FIFO overrun too).
    while (read(TX_FIFO_INF) >> 16) & 0xff != 0 {
        let _ = read(TX_STATUS_FIFO);
    }
}

/// A received frame.
pub struct RxToken<'a>(&'a [u8]);

/// Room for a frame to send.
pub struct TxToken<'a>(&'a mut [u8; MTU]);

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MTU);
        let result = f(&mut self.0[..len]);
        send(&self.0[..len]);
        result
    }
}

impl phy::Device for Lan9118 {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let len = self.next_frame()?;
        Some((RxToken(&self.rx[..len]), TxToken(&mut self.tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(1);
        // The controller computes no checksums.
        let mut checksum = ChecksumCapabilities::default();
        checksum.ipv4 = Checksum::Both;
        checksum.tcp = Checksum::Both;
        caps.checksum = checksum;
        caps
    }
}
