import click
import six
