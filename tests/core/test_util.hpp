#pragma once
// Helpers shared by the tests: checking an error's type and exact text.
#include <gtest/gtest.h>

#include <string>

#define BRAID_EXPECT_THROW_MSG(stmt, Type, msg)                                       \
  do {                                                                                \
    try {                                                                             \
      stmt;                                                                           \
      ADD_FAILURE() << "expected " #Type ": " << (msg);                               \
    } catch (const Type& e_) {                                                        \
      EXPECT_EQ(std::string(e_.what()), std::string(msg));                            \
    } catch (const std::exception& e_) {                                              \
      ADD_FAILURE() << "expected " #Type " but got another exception: " << e_.what(); \
    }                                                                                 \
  } while (0)

// As above, but only a part of the message must match.
#define BRAID_EXPECT_THROW_HAS(stmt, Type, part)                                      \
  do {                                                                                \
    try {                                                                             \
      stmt;                                                                           \
      ADD_FAILURE() << "expected " #Type " containing: " << (part);                   \
    } catch (const Type& e_) {                                                        \
      EXPECT_NE(std::string(e_.what()).find(part), std::string::npos) << e_.what();   \
    } catch (const std::exception& e_) {                                              \
      ADD_FAILURE() << "expected " #Type " but got another exception: " << e_.what(); \
    }                                                                                 \
  } while (0)

/// Function form of BRAID_EXPECT_THROW_MSG: fn() must throw E with exactly `msg`.
template <class E, class Fn>
void expect_error(const Fn& fn, const std::string& msg) {
  BRAID_EXPECT_THROW_MSG(fn(), E, msg);
}
