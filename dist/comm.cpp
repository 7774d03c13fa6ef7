// Comm: all-to-all and all-gather of byte streams over MPI (see comm.hpp). Counts travel
// first (MPI_Alltoall / MPI_Allgather of one int64 per rank), then the bytes (the v-variants).
#include "dist/comm.hpp"

#include <limits>

#include "autograd/error.hpp"

namespace gatgrad::dist {

namespace {

void check(int status, const char* what) {
  if (status != MPI_SUCCESS) throw Error(std::string("MPI: ") + what + " failed");
}

// MPI counts are int: a larger message is an error, not a wrap.
int as_count(int64_t n) {
  if (n > std::numeric_limits<int>::max())
    throw Error("MPI: a message of " + std::to_string(n) + " bytes is over MPI's 2 GiB count; use smaller batches");
  return static_cast<int>(n);
}

}  // namespace

Comm::Comm() {
  check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

Comm::~Comm() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

Streams Comm::all_to_all(const Streams& send, int64_t& counted) const {
  Streams recv;
  all_to_all(send, counted, recv);
  return recv;
}

void Comm::all_to_all(const Streams& send, int64_t& counted, Streams& recv) const {
  const size_t P = static_cast<size_t>(size_);
  if (send.count() != P) throw Error("Comm::all_to_all: one stream per rank expected");
  std::vector<int64_t> send_n(P), recv_n(P);
  for (size_t k = 0; k < P; ++k) send_n[k] = send.offset[k + 1] - send.offset[k];
  check(MPI_Alltoall(send_n.data(), 1, MPI_INT64_T, recv_n.data(), 1, MPI_INT64_T, comm_), "MPI_Alltoall");
  std::vector<int> sc(P), sd(P), rc(P), rd(P);
  recv.clear();
  for (size_t k = 0; k < P; ++k) {
    sc[k] = as_count(send_n[k]);
    sd[k] = as_count(send.offset[k]);
    rc[k] = as_count(recv_n[k]);
    rd[k] = as_count(recv.offset.back());
    recv.offset.push_back(recv.offset.back() + recv_n[k]);
    if (static_cast<int>(k) != rank_) counted += send_n[k];
  }
  as_count(recv.offset.back());
  recv.bytes.resize(static_cast<size_t>(recv.offset.back()));
  check(MPI_Alltoallv(send.bytes.data(), sc.data(), sd.data(), MPI_BYTE, recv.bytes.data(), rc.data(), rd.data(),
                      MPI_BYTE, comm_),
        "MPI_Alltoallv");
}

Streams Comm::all_gather(std::span<const char> mine, int64_t& counted) const {
  const size_t P = static_cast<size_t>(size_);
  int64_t n = static_cast<int64_t>(mine.size());
  std::vector<int64_t> all_n(P);
  check(MPI_Allgather(&n, 1, MPI_INT64_T, all_n.data(), 1, MPI_INT64_T, comm_), "MPI_Allgather");
  std::vector<int> rc(P), rd(P);
  Streams out;
  for (size_t k = 0; k < P; ++k) {
    rc[k] = as_count(all_n[k]);
    rd[k] = as_count(out.offset.back());
    out.offset.push_back(out.offset.back() + all_n[k]);
  }
  as_count(out.offset.back());
  out.bytes.resize(static_cast<size_t>(out.offset.back()));
  check(MPI_Allgatherv(mine.data(), as_count(n), MPI_BYTE, out.bytes.data(), rc.data(), rd.data(), MPI_BYTE, comm_),
        "MPI_Allgatherv");
  counted += n * (size_ - 1);
  return out;
}

int64_t Comm::max(int64_t value) const {
  int64_t out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_MAX, comm_), "MPI_Allreduce");
  return out;
}

bool Comm::any_thread() const {
  int provided = MPI_THREAD_SINGLE;
  check(MPI_Query_thread(&provided), "MPI_Query_thread");
  return provided >= MPI_THREAD_SERIALIZED;
}

void Comm::barrier() const { check(MPI_Barrier(comm_), "MPI_Barrier"); }

void Reader::take(void* out, size_t n) {
  if (n == 0) return;  // out may be an empty vector's null data()
  if (at_ + n > bytes_.size()) throw Error("dist: a message from another rank is shorter than its contents");
  std::memcpy(out, bytes_.data() + at_, n);
  at_ += n;
}

}  // namespace gatgrad::dist
