#pragma once
// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11). Every draw is a pure
// function of (seed, stream key, counter), so a token's routing does not depend on which rank
// simulates it or in which order ranks run: that is what makes results rank-count independent.
#include <array>
#include <cstddef>
#include <cstdint>

namespace sievesim {

class Philox4x32 {
 public:
  using Block = std::array<std::uint32_t, 4>;

  static Block generate(std::uint64_t seed, Block counter) {
    // The counter words stay in registers through the ten unrolled rounds: the routing takes
    // about ten blocks per (token, layer), and a rolled loop over the array costs twice the
    // instructions (about 260 per block instead of 130, callgrind).
    std::uint32_t k0 = static_cast<std::uint32_t>(seed);
    std::uint32_t k1 = static_cast<std::uint32_t>(seed >> 32);
    std::uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
#pragma GCC unroll 10
    for (int round = 0; round < 10; ++round) {
      const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c0;
      const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * c2;
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    return {c0, c1, c2, c3};
  }
};

// A stream of uniform numbers for one key. The key fills three counter words; the fourth counts
// draws, so one stream yields 2^32 blocks of four numbers.
class RandomStream {
 public:
  RandomStream(std::uint64_t seed, std::uint32_t a, std::uint32_t b, std::uint32_t c)
      : seed_(seed), key_{a, b, c} {}

  std::uint32_t next_u32() {
    if (used_ == 4) refill();
    return block_[used_++];
  }
  std::uint64_t next_u64() {
    const std::uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  // Uniform in [0, 1) with 53 random bits.
  double next_double() {
    if (used_ == 4) refill();
    std::uint64_t v;
    if (used_ <= 2) {  // both halves from this block: the same words next_u64 would take
      v = (std::uint64_t{block_[static_cast<std::size_t>(used_)]} << 32) |
          block_[static_cast<std::size_t>(used_) + 1];
      used_ += 2;
    } else {
      v = next_u64();
    }
    return static_cast<double>(v >> 11) * 0x1.0p-53;
  }
  // Uniform integer in [0, n) without modulo bias (Lemire's method).
  std::uint32_t next_below(std::uint32_t n) {
    std::uint64_t m = std::uint64_t{next_u32()} * n;
    auto low = static_cast<std::uint32_t>(m);
    if (low < n) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-n) % n;
      while (low < threshold) {
        m = std::uint64_t{next_u32()} * n;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }

 private:
  void refill() {
    block_ = Philox4x32::generate(seed_, {key_[0], key_[1], key_[2], draw_++});
    used_ = 0;
  }
  std::uint64_t seed_;
  std::array<std::uint32_t, 3> key_;
  std::uint32_t draw_ = 0;
  Philox4x32::Block block_{};
  int used_ = 4;
};

// Stream identifiers so that different consumers of the same key never share numbers.
enum class StreamId : std::uint32_t {
  kRouting = 1,
  kRoutingTable = 2,
  kPlacement = 3,
  kLocality = 4,
  kRequestLengths = 5,
  kArrivals = 6,
  kStragglers = 7,
  kTest = 99
};

// The Philox key of one consumer: the run seed scrambled with the stream id (SplitMix64), so two
// consumers with the same counter words still draw unrelated numbers.
inline std::uint64_t stream_seed(std::uint64_t seed, StreamId id) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(id) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace sievesim
