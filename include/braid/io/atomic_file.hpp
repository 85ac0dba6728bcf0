#pragma once
/// Writing a file so that a crash never destroys the previous one (DESIGN
/// rule 6). Every braid file writer (safetensors, model files, checkpoints)
/// goes through write_file_atomically.
///
/// Note [atomic file writes]
/// The bytes go to a temporary file in the target's directory (a rename is
/// only atomic within one file system), which is fsync'ed, renamed over the
/// target, and then the directory is fsync'ed so the rename itself survives
/// a power cut. A reader, or a writer killed at any instant, sees either the
/// old file whole or the new file whole.
///
/// The temporary file is named "<target name>.tmp.<pid>.<n>" (n counts the
/// saves of that process), e.g. "model.safetensors.tmp.4711.0". A writer
/// that is killed (SIGKILL, power cut) leaves its temporary file behind; the
/// next save of the same target removes such stale files: those whose writer
/// process is gone and which no live writer holds (each writer keeps an
/// flock on its temporary file while writing, so a writer in another PID
/// namespace that happens to have the same pid is never disturbed). Anything
/// matching "<target name>.tmp.*" is safe to delete when no save is running.
#include <cstddef>
#include <filesystem>
#include <vector>

namespace braid::io {

/// Bytes to write: `size` bytes at `data` (which may be null when size is 0).
struct ByteRange {
  const void* data = nullptr;
  size_t size = 0;
};

/// Writes the concatenation of `chunks` to `path` atomically (Note [atomic
/// file writes]). Throws IOError naming `op` and the path; on error `path`
/// is unchanged and the temporary file is removed.
void write_file_atomically(const std::filesystem::path& path, const std::vector<ByteRange>& chunks,
                           const char* op = "write_file");

/// Whether `candidate` is named like a temporary file of a save of `target`
/// ("<target name>.tmp.<pid>.<n>", in the same directory).
bool is_temp_file_of(const std::filesystem::path& target, const std::filesystem::path& candidate);

/// Removes temporary files that killed writers of `target` left behind (see
/// the note); returns how many it removed. Never throws.
size_t remove_stale_temp_files(const std::filesystem::path& target);

}  // namespace braid::io
