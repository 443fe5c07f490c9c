<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>AddressesBox</name>
    <message numerus="yes">
        <source>Copied {count} links</source>
        <translation>
            <numerusform>Copied {count} link</numerusform>
            <numerusform>Copied {count} links</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FileServerPanel</name>
    <message numerus="yes">
        <source>{count} file transfers in progress</source>
        <translation>
            <numerusform>{count} file transfer in progress</numerusform>
            <numerusform>{count} file transfers in progress</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} files</source>
        <translation>
            <numerusform>{count} file</numerusform>
            <numerusform>{count} files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, {count} downloading</source>
        <translation>
            <numerusform>, {count} downloading</numerusform>
            <numerusform>, {count} downloading</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LoadTest</name>
    <message numerus="yes">
        <source>Sent to {count} clients</source>
        <translation>
            <numerusform>Sent to {count} client</numerusform>
            <numerusform>Sent to {count} clients</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MirrorJob</name>
    <message numerus="yes">
        <source>{done} of {count} files</source>
        <translation>
            <numerusform>{done} of {count} file</numerusform>
            <numerusform>{done} of {count} files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PacketLibraryFile</name>
    <message numerus="yes">
        <source>{count} packets in {path}</source>
        <translation>
            <numerusform>{count} packet in {path}</numerusform>
            <numerusform>{count} packets in {path}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported {count} packets ({added} new, {replaced} replaced)</source>
        <translation>
            <numerusform>Imported {count} packet ({added} new, {replaced} replaced)</numerusform>
            <numerusform>Imported {count} packets ({added} new, {replaced} replaced)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PacketLibraryPanel</name>
    <message numerus="yes">
        <source>Deleted {count} packets</source>
        <translation>
            <numerusform>Deleted {count} packet</numerusform>
            <numerusform>Deleted {count} packets</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{size} bytes: {bytes}</source>
        <translation>
            <numerusform>{size} byte: {bytes}</numerusform>
            <numerusform>{size} bytes: {bytes}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PayloadEditor</name>
    <message numerus="yes">
        <source>{count} bytes</source>
        <translation>
            <numerusform>{count} byte</numerusform>
            <numerusform>{count} bytes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RelayCounters</name>
    <message numerus="yes">
        <source>{count} datagrams</source>
        <translation>
            <numerusform>{count} datagram</numerusform>
            <numerusform>{count} datagrams</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} chunks</source>
        <translation>
            <numerusform>{count} chunk</numerusform>
            <numerusform>{count} chunks</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SendBox</name>
    <message numerus="yes">
        <source>{count} clients</source>
        <translation>
            <numerusform>{count} client</numerusform>
            <numerusform>{count} clients</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ServeBox</name>
    <message numerus="yes">
        <source>Anyone on your network can download the {count} files in this list.</source>
        <translation>
            <numerusform>Anyone on your network can download the {count} file in this list.</numerusform>
            <numerusform>Anyone on your network can download the {count} files in this list.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ShareBrowser</name>
    <message numerus="yes">
        <source>{count} entries in this folder: double-click a folder to open it, or pick several and Download selected</source>
        <translation>
            <numerusform>{count} entry in this folder: double-click a folder to open it, or pick several and Download selected</numerusform>
            <numerusform>{count} entries in this folder: double-click a folder to open it, or pick several and Download selected</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} files on the server: pick one and Download</source>
        <translation>
            <numerusform>{count} file on the server: pick it and Download</numerusform>
            <numerusform>{count} files on the server: pick one and Download</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SharedFilesBox</name>
    <message numerus="yes">
        <source>Added {count} files</source>
        <translation>
            <numerusform>Added {count} file</numerusform>
            <numerusform>Added {count} files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> and {count} more</source>
        <translation>
            <numerusform> and {count} more</numerusform>
            <numerusform> and {count} more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} files shared last time are gone and left the list: {paths}</source>
        <translation>
            <numerusform>{count} file shared last time is gone and left the list: {paths}</numerusform>
            <numerusform>{count} files shared last time are gone and left the list: {paths}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TcpClientPanel</name>
    <message numerus="yes">
        <source>{count} TCP connections</source>
        <translation>
            <numerusform>{count} TCP connection</numerusform>
            <numerusform>{count} TCP connections</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TcpServerPanel</name>
    <message numerus="yes">
        <source>{count} clients connected to the TCP server</source>
        <translation>
            <numerusform>{count} client connected to the TCP server</numerusform>
            <numerusform>{count} clients connected to the TCP server</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrafficLog</name>
    <message numerus="yes">
        <source>{count} rows</source>
        <translation>
            <numerusform>{count} row</numerusform>
            <numerusform>{count} rows</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} rows (the latest {limit} are kept)</source>
        <translation>
            <numerusform>{count} row (the latest {limit} are kept)</numerusform>
            <numerusform>{count} rows (the latest {limit} are kept)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of {text} shown</source>
        <translation>
            <numerusform>{shown} of {text} shown</numerusform>
            <numerusform>{shown} of {text} shown</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{text}, {count} checksum failures</source>
        <translation>
            <numerusform>{text}, {count} checksum failure</numerusform>
            <numerusform>{text}, {count} checksum failures</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>UdpReceivePanel</name>
    <message numerus="yes">
        <source>{count} datagrams</source>
        <translation>
            <numerusform>{count} datagram</numerusform>
            <numerusform>{count} datagrams</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> · {count} replied</source>
        <translation>
            <numerusform> · {count} replied</numerusform>
            <numerusform> · {count} replied</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> · {count} cut short</source>
        <translation>
            <numerusform> · {count} cut short</numerusform>
            <numerusform> · {count} cut short</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>UdpSendPanel</name>
    <message numerus="yes">
        <source>{count} datagrams</source>
        <translation>
            <numerusform>{count} datagram</numerusform>
            <numerusform>{count} datagrams</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{count} replies</source>
        <translation>
            <numerusform>{count} reply</numerusform>
            <numerusform>{count} replies</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>UploadJob</name>
    <message numerus="yes">
        <source>Sending {count} files to {server}…</source>
        <translation>
            <numerusform>Sending {count} file to {server}…</numerusform>
            <numerusform>Sending {count} files to {server}…</numerusform>
        </translation>
    </message>
</context>
</TS>
