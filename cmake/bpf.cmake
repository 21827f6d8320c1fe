# finrst_bpf_object(NAME SOURCE [INCLUDES dir...]): compile SOURCE for the
# BPF target into ${GEN_DIR}/NAME.bpf.o and generate its libbpf skeleton
# ${GEN_DIR}/NAME.skel.h (struct NAME_bpf), behind the target NAME_skel.
# Programs that include the skeleton: add_dependencies(prog NAME_skel).
#
# The dependencies are real, so that any -j works from a clean tree:
# clang writes the headers it read into a depfile, and the target waits
# for vmlinux_h, whose header is generated in the top directory (a file
# DEPENDS alone does not order targets of different directories).
function(finrst_bpf_object name src)
	cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "INCLUDES")
	set(obj ${GEN_DIR}/${name}.bpf.o)
	set(skel ${GEN_DIR}/${name}.skel.h)
	set(incs -I${GEN_DIR})
	foreach(d ${ARG_INCLUDES})
		list(APPEND incs -I${d})
	endforeach()
	add_custom_command(
		OUTPUT ${obj}
		COMMAND ${BPF_CLANG} -g -O2 -target bpf
			-D__TARGET_ARCH_${BPF_ARCH} -Wall -Werror ${incs}
			-MD -MF ${obj}.d -c ${src} -o ${obj}
		DEPENDS ${src} ${GEN_DIR}/vmlinux.h
		DEPFILE ${obj}.d
		COMMENT "Compiling BPF object ${name}"
		VERBATIM)
	add_custom_command(
		OUTPUT ${skel}
		COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
		DEPENDS ${obj}
		COMMENT "Generating BPF skeleton ${name}"
		VERBATIM)
	add_custom_target(${name}_skel DEPENDS ${skel})
	add_dependencies(${name}_skel vmlinux_h)
endfunction()
