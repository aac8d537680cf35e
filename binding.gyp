# node-gyp build of the same sources as CMakeLists.txt, with the same defines.
# node-addon-api exception mode: C++ exceptions (NAPI_CPP_EXCEPTIONS), stated in both files.
{
  "targets": [
    {
      "target_name": "ffnn",
      "sources": [
        "native/kernels/cpu.cpp",
        "native/kernels/threads.cpp",
        "native/kernels/gemm.cpp",
        "native/kernels/activation.cpp",
        "native/kernels/losses.cpp",
        "native/kernels/optim.cpp",
        "native/binding/addon.cpp",
        "native/binding/check.cpp",
        "native/binding/kernels_binding.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/kernels"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "FFNN_COMPILER=\"GNU node-gyp\""
      ],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-O0"],
      "cflags": ["-O3", "-fno-math-errno", "-pthread"],
      "cflags_cc": ["-O3", "-fno-math-errno", "-fexceptions", "-std=c++17", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-std=c++17"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1 }
      }
    }
  ]
}
